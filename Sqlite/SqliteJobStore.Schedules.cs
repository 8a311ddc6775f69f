using Microsoft.Data.Sqlite;

namespace OrleansJobs.Storage.Sqlite;

internal sealed partial class SqliteJobStore
{
    private const string ScheduleColumns = "definition, next_fire_at, last_occurrence, last_job_id, created_at, updated_at, paused_at";

    public async Task<ScheduleInfo?> GetScheduleAsync(string tenant, string id, CancellationToken cancellationToken)
    {
        await using var db = await OpenReaderAsync(cancellationToken);
        await using var command = db.CreateCommand();
        command.CommandText = $"SELECT {ScheduleColumns} FROM schedules WHERE tenant = @tenant AND id = @id;";
        command.Parameters.AddWithValue("@tenant", tenant);
        command.Parameters.AddWithValue("@id", id);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadSchedule(reader) : null;
    }

    public async Task SaveScheduleAsync(ScheduleInfo schedule, CancellationToken cancellationToken) =>
        await WriteOneAsync(
            $"""
            INSERT INTO schedules (tenant, id, {ScheduleColumns})
            VALUES (@tenant, @id, @definition, @next, @last, @lastJob, @created, @updated, @paused)
            ON CONFLICT (tenant, id) DO UPDATE SET
                definition = excluded.definition, next_fire_at = excluded.next_fire_at, last_occurrence = excluded.last_occurrence,
                last_job_id = excluded.last_job_id, updated_at = excluded.updated_at, paused_at = excluded.paused_at;
            """,
            cancellationToken,
            ("@tenant", schedule.Definition.Tenant),
            ("@id", schedule.Definition.Id),
            ("@definition", StoredJson.Write(schedule.Definition)),
            ("@next", schedule.NextOccurrence is { } next ? Ms(next) : null),
            ("@last", schedule.LastOccurrence is { } last ? Ms(last) : null),
            ("@lastJob", schedule.LastJobId?.ToBytes()),
            ("@created", Ms(schedule.CreatedAt)),
            ("@updated", Ms(schedule.UpdatedAt)),
            ("@paused", schedule.PausedAt is { } paused ? Ms(paused) : null));

    public async Task<bool> DeleteScheduleAsync(string tenant, string id, CancellationToken cancellationToken) =>
        await WriteOneAsync("DELETE FROM schedules WHERE tenant = @tenant AND id = @id;", cancellationToken, ("@tenant", tenant), ("@id", id)) == 1;

    public async Task<SchedulePage> ListSchedulesAsync(string tenant, int pageSize, string? cursor, CancellationToken cancellationToken)
    {
        await using var db = await OpenReaderAsync(cancellationToken);
        await using var command = db.CreateCommand();
        command.CommandText = $"SELECT {ScheduleColumns} FROM schedules WHERE tenant = @tenant AND id > @cursor ORDER BY id LIMIT @limit;";
        command.Parameters.AddWithValue("@tenant", tenant);
        command.Parameters.AddWithValue("@cursor", cursor ?? "");
        command.Parameters.AddWithValue("@limit", pageSize + 1);
        var items = new List<ScheduleInfo>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(ReadSchedule(reader));
        }

        return ScheduleSql.Page(items, pageSize);
    }

    public async Task<IReadOnlyList<(string Tenant, string Id)>> ListScheduleKeysAsync(CancellationToken cancellationToken)
    {
        await using var db = await OpenReaderAsync(cancellationToken);
        await using var command = db.CreateCommand();
        command.CommandText = "SELECT tenant, id FROM schedules;";
        var keys = new List<(string, string)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            keys.Add((reader.GetString(0), reader.GetString(1)));
        }

        return keys;
    }

    private static ScheduleInfo ReadSchedule(SqliteDataReader reader) => new()
    {
        Definition = StoredJson.ReadSchedule(reader.GetString(0)),
        NextOccurrence = reader.IsDBNull(1) ? null : Time(reader.GetInt64(1)),
        LastOccurrence = reader.IsDBNull(2) ? null : Time(reader.GetInt64(2)),
        LastJobId = reader.IsDBNull(3) ? null : JobId.FromBytes((byte[])reader.GetValue(3)),
        CreatedAt = Time(reader.GetInt64(4)),
        UpdatedAt = Time(reader.GetInt64(5)),
        PausedAt = reader.IsDBNull(6) ? null : Time(reader.GetInt64(6)),
    };
}
