using Npgsql;

namespace OrleansJobs.Storage.Postgres;

internal sealed partial class PostgresJobStore
{
    private const string ScheduleColumns = "definition::text, next_fire_at, last_occurrence, last_job_id, created_at, updated_at, paused_at";

    public Task<ScheduleInfo?> GetScheduleAsync(string tenant, string id, CancellationToken cancellationToken) => ReconnectingAsync<ScheduleInfo?>(async () =>
    {
        await using var command = _db.CreateCommand($"SELECT {ScheduleColumns} FROM schedules WHERE tenant = @tenant AND id = @id;");
        command.Parameters.AddWithValue("tenant", tenant);
        command.Parameters.AddWithValue("id", id);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadSchedule(reader) : null;
    }, readOnly: true);

    public async Task SaveScheduleAsync(ScheduleInfo schedule, CancellationToken cancellationToken)
    {
        await using var command = _db.CreateCommand("""
            INSERT INTO schedules (tenant, id, definition, next_fire_at, last_occurrence, last_job_id, created_at, updated_at, paused_at)
            VALUES (@tenant, @id, @definition::jsonb, @next, @last, @lastJob, @created, @updated, @paused)
            ON CONFLICT (tenant, id) DO UPDATE SET
                definition = EXCLUDED.definition, next_fire_at = EXCLUDED.next_fire_at, last_occurrence = EXCLUDED.last_occurrence,
                last_job_id = EXCLUDED.last_job_id, updated_at = EXCLUDED.updated_at, paused_at = EXCLUDED.paused_at;
            """);
        command.Parameters.AddWithValue("tenant", schedule.Definition.Tenant);
        command.Parameters.AddWithValue("id", schedule.Definition.Id);
        command.Parameters.AddWithValue("definition", StoredJson.Write(schedule.Definition));
        command.Parameters.Add(new NpgsqlParameter<DateTime?>("next", schedule.NextOccurrence?.UtcDateTime));
        command.Parameters.Add(new NpgsqlParameter<DateTime?>("last", schedule.LastOccurrence?.UtcDateTime));
        command.Parameters.Add(new NpgsqlParameter<Guid?>("lastJob", schedule.LastJobId?.Value));
        command.Parameters.AddWithValue("created", Utc(schedule.CreatedAt));
        command.Parameters.AddWithValue("updated", Utc(schedule.UpdatedAt));
        command.Parameters.Add(new NpgsqlParameter<DateTime?>("paused", schedule.PausedAt?.UtcDateTime));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<bool> DeleteScheduleAsync(string tenant, string id, CancellationToken cancellationToken) =>
        await ExecuteAsync("DELETE FROM schedules WHERE tenant = @tenant AND id = @id;", cancellationToken, ("tenant", tenant), ("id", id)) == 1;

    public Task<SchedulePage> ListSchedulesAsync(string tenant, int pageSize, string? cursor, CancellationToken cancellationToken) => ReconnectingAsync(async () =>
    {
        await using var command = _db.CreateCommand($"SELECT {ScheduleColumns} FROM schedules WHERE tenant = @tenant AND id COLLATE \"C\" > @cursor ORDER BY id COLLATE \"C\" LIMIT @limit;");
        command.Parameters.AddWithValue("tenant", tenant);
        command.Parameters.AddWithValue("cursor", cursor ?? "");
        command.Parameters.AddWithValue("limit", pageSize + 1);
        var items = new List<ScheduleInfo>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(ReadSchedule(reader));
        }

        return ScheduleSql.Page(items, pageSize);
    }, readOnly: true);

    public Task<IReadOnlyList<(string Tenant, string Id)>> ListScheduleKeysAsync(CancellationToken cancellationToken) => ReconnectingAsync<IReadOnlyList<(string Tenant, string Id)>>(async () =>
    {
        await using var command = _db.CreateCommand("SELECT tenant, id FROM schedules;");
        var keys = new List<(string, string)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            keys.Add((reader.GetString(0), reader.GetString(1)));
        }

        return keys;
    }, readOnly: true);

    private static ScheduleInfo ReadSchedule(NpgsqlDataReader reader) => new()
    {
        Definition = StoredJson.ReadSchedule(reader.GetString(0)),
        NextOccurrence = reader.IsDBNull(1) ? null : Time(reader, 1),
        LastOccurrence = reader.IsDBNull(2) ? null : Time(reader, 2),
        LastJobId = reader.IsDBNull(3) ? null : new JobId(reader.GetGuid(3)),
        CreatedAt = Time(reader, 4),
        UpdatedAt = Time(reader, 5),
        PausedAt = reader.IsDBNull(6) ? null : Time(reader, 6),
    };
}
