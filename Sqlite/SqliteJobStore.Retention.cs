namespace OrleansJobs.Storage.Sqlite;

internal sealed partial class SqliteJobStore
{
    public async Task<IReadOnlyList<QueueKey>> ListRetentionScopesAsync(JobState state, CancellationToken cancellationToken)
    {
        await using var db = await OpenReaderAsync(cancellationToken);
        await using var command = db.CreateCommand();
        command.CommandText = RetentionSql.Scopes(state);
        return await QueueKeyRows.ReadAsync(command, cancellationToken);
    }

    public async Task<FinishedDeletion> DeleteFinishedAsync(QueueKey scope, JobState state, DateTimeOffset finishedBefore, JobId? after, int limit, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            var writer = await OpenWriterAsync(cancellationToken);
            await using var tx = writer.BeginTransaction();
            await using var command = writer.CreateCommand();
            command.Transaction = tx;
            // The ids first, so the job and its error rows go in one transaction.
            var doomed = RetentionSql.Doomed(scope, state, Bind(command));
            command.CommandText = $"""
                CREATE TEMP TABLE IF NOT EXISTS doomed (id BLOB NOT NULL PRIMARY KEY);
                DELETE FROM temp.doomed;
                INSERT INTO temp.doomed {doomed};
                DELETE FROM job_errors WHERE job_id IN (SELECT id FROM temp.doomed);
                DELETE FROM jobs WHERE id IN (SELECT id FROM temp.doomed);
                SELECT COUNT(*), MAX(id) FROM temp.doomed;
                """;
            command.Parameters.AddWithValue("@after", after?.ToBytes() ?? new byte[16]);
            command.Parameters.AddWithValue("@below", JobId.MinAt(finishedBefore).ToBytes());
            command.Parameters.AddWithValue("@before", Ms(finishedBefore));
            command.Parameters.AddWithValue("@limit", limit);
            FinishedDeletion deletion;
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                await reader.ReadAsync(cancellationToken);
                deletion = new FinishedDeletion(reader.GetInt32(0), reader.IsDBNull(1) ? null : JobId.FromBytes((byte[])reader.GetValue(1)));
            }

            await tx.CommitAsync(cancellationToken);
            return deletion;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <remarks>
    /// One transaction (the writer is single): the keys whose job is gone or ended its own retention ago
    /// go, then the rest of the expired page waits for its job's end plus that retention.
    /// </remarks>
    public async Task<int> ExpireKeysAsync(DateTimeOffset now, TimeSpan retention, int limit, CancellationToken cancellationToken) =>
        await WriteOneAsync(
            """
            DELETE FROM job_idempotency_keys WHERE (tenant, key) IN (
                SELECT k.tenant, k.key FROM job_idempotency_keys k LEFT JOIN jobs j ON j.id = k.job_id
                WHERE k.expires_at < @now AND (k.mode = 1 OR j.id IS NULL OR (k.mode = 2 AND j.state <> 0) OR (k.mode = 0 AND j.finished_at + k.retention_ms <= @now))
                ORDER BY k.expires_at LIMIT @limit);
            UPDATE job_idempotency_keys
            SET expires_at = COALESCE(
                (SELECT j.finished_at FROM jobs j WHERE j.id = job_idempotency_keys.job_id) + retention_ms,
                @now + MAX(retention_ms, @recheck))
            WHERE (tenant, key) IN (SELECT tenant, key FROM job_idempotency_keys WHERE expires_at < @now ORDER BY expires_at LIMIT @limit);
            """,
            cancellationToken, ("@now", Ms(now)), ("@recheck", (long)retention.TotalMilliseconds), ("@limit", limit));
}
