namespace OrleansJobs.Storage.Sqlite;

internal sealed partial class SqliteJobStore
{
    public async Task RecordMinutesAsync(IReadOnlyList<QueueMinute> minutes, CancellationToken cancellationToken)
    {
        if (minutes.Count == 0)
        {
            return;
        }

        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            var writer = await OpenWriterAsync(cancellationToken);
            await using var tx = writer.BeginTransaction();
            await using var command = Command(writer, """
                INSERT INTO queue_minutes (tenant, job_type, minute, enqueued, succeeded, failed, dead_lettered, backlog, oldest_wait_ms)
                VALUES (@tenant, @type, @minute, @enqueued, @succeeded, @failed, @dead, @backlog, @oldest)
                ON CONFLICT (tenant, minute, job_type) DO UPDATE SET
                    enqueued = enqueued + excluded.enqueued,
                    succeeded = succeeded + excluded.succeeded,
                    failed = failed + excluded.failed,
                    dead_lettered = dead_lettered + excluded.dead_lettered,
                    backlog = COALESCE(excluded.backlog, backlog),
                    oldest_wait_ms = CASE WHEN excluded.backlog IS NULL THEN oldest_wait_ms ELSE excluded.oldest_wait_ms END;
                """, "@tenant", "@type", "@minute", "@enqueued", "@succeeded", "@failed", "@dead", "@backlog", "@oldest");
            command.Transaction = tx;
            foreach (var m in minutes)
            {
                Bind(command, m.Queue.Tenant, m.Queue.JobType, Ms(m.Minute), m.Enqueued, m.Succeeded, m.Failed, m.DeadLettered, m.Backlog, (long?)m.OldestWait?.TotalMilliseconds);
                await command.ExecuteNonQueryAsync(cancellationToken);
            }

            await tx.CommitAsync(cancellationToken);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public async Task<QueueHistory> ReadHistoryAsync(HistoryQuery query, CancellationToken cancellationToken)
    {
        await using var db = await OpenReaderAsync(cancellationToken);
        await using var command = db.CreateCommand();
        command.CommandText = HistorySql.Read(query, Bind(command));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await HistorySql.ReadAsync(reader, cancellationToken);
    }

    public async Task<int> DeleteMinutesAsync(DateTimeOffset before, int limit, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            var writer = await OpenWriterAsync(cancellationToken);
            await using var command = writer.CreateCommand();
            command.CommandText = HistorySql.Delete(before, limit, Bind(command));
            return await command.ExecuteNonQueryAsync(cancellationToken);
        }
        finally
        {
            _writeLock.Release();
        }
    }
}
