using Npgsql;
using NpgsqlTypes;

namespace OrleansJobs.Storage.Postgres;

internal sealed partial class PostgresJobStore
{
    public Task RecordMinutesAsync(IReadOnlyList<QueueMinute> minutes, CancellationToken cancellationToken)
    {
        if (minutes.Count == 0)
        {
            return Task.CompletedTask;
        }

        // Rows in key order, so two silos adding to the same minutes take their row locks in one order.
        var rows = minutes.OrderBy(m => m.Queue.Tenant, StringComparer.Ordinal).ThenBy(m => m.Minute).ThenBy(m => m.Queue.JobType, StringComparer.Ordinal).ToArray();
        return ReconnectingAsync(async () =>
        {
            await using var command = _db.CreateCommand("""
                INSERT INTO queue_minutes (tenant, job_type, minute, enqueued, succeeded, failed, dead_lettered, backlog, oldest_wait_ms)
                SELECT * FROM unnest(@tenants, @types, @minutes, @enqueued, @succeeded, @failed, @dead, @backlog, @oldest)
                ON CONFLICT (tenant, minute, job_type) DO UPDATE SET
                    enqueued = queue_minutes.enqueued + EXCLUDED.enqueued,
                    succeeded = queue_minutes.succeeded + EXCLUDED.succeeded,
                    failed = queue_minutes.failed + EXCLUDED.failed,
                    dead_lettered = queue_minutes.dead_lettered + EXCLUDED.dead_lettered,
                    backlog = COALESCE(EXCLUDED.backlog, queue_minutes.backlog),
                    oldest_wait_ms = CASE WHEN EXCLUDED.backlog IS NULL THEN queue_minutes.oldest_wait_ms ELSE EXCLUDED.oldest_wait_ms END;
                """);
            command.Parameters.AddWithValue("tenants", rows.Select(r => r.Queue.Tenant).ToArray());
            command.Parameters.AddWithValue("types", rows.Select(r => r.Queue.JobType).ToArray());
            command.Parameters.AddWithValue("minutes", rows.Select(r => r.Minute.ToUnixTimeMilliseconds()).ToArray());
            command.Parameters.AddWithValue("enqueued", rows.Select(r => r.Enqueued).ToArray());
            command.Parameters.AddWithValue("succeeded", rows.Select(r => r.Succeeded).ToArray());
            command.Parameters.AddWithValue("failed", rows.Select(r => r.Failed).ToArray());
            command.Parameters.AddWithValue("dead", rows.Select(r => r.DeadLettered).ToArray());
            command.Parameters.Add(new NpgsqlParameter("backlog", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = rows.Select(r => r.Backlog).ToArray() });
            command.Parameters.Add(new NpgsqlParameter("oldest", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = rows.Select(r => (long?)r.OldestWait?.TotalMilliseconds).ToArray() });
            return await command.ExecuteNonQueryAsync(cancellationToken);
        }, readOnly: false);
    }

    public Task<QueueHistory> ReadHistoryAsync(HistoryQuery query, CancellationToken cancellationToken) => ReconnectingAsync(async () =>
    {
        await using var command = _db.CreateCommand();
        command.CommandText = HistorySql.Read(query, Bind(command));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await HistorySql.ReadAsync(reader, cancellationToken);
    }, readOnly: true);

    public Task<int> DeleteMinutesAsync(DateTimeOffset before, int limit, CancellationToken cancellationToken) => ReconnectingAsync(async () =>
    {
        await using var command = _db.CreateCommand();
        command.CommandText = HistorySql.Delete(before, limit, Bind(command));
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }, readOnly: false);
}
