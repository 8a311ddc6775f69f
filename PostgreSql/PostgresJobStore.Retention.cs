namespace OrleansJobs.Storage.Postgres;

internal sealed partial class PostgresJobStore
{
    public async Task<FinishedDeletion> DeleteFinishedAsync(JobState state, DateTimeOffset finishedBefore, JobId? after, int limit, CancellationToken cancellationToken)
    {
        // The primary key is time-ordered, so "made before the cutoff" bounds the scan; finished_at
        // has no index, to keep completions from paying for one.
        await using var command = _db.CreateCommand("""
            WITH doomed AS (
                SELECT id FROM jobs
                WHERE id > @after AND id < @below AND state = @state AND finished_at < @before
                ORDER BY id LIMIT @limit),
            gone AS (DELETE FROM jobs AS j USING doomed WHERE j.id = doomed.id RETURNING j.id),
            errors AS (DELETE FROM job_errors AS e USING gone WHERE e.job_id = gone.id)
            SELECT (SELECT COUNT(*)::int FROM gone), (SELECT id FROM gone ORDER BY id DESC LIMIT 1);
            """);
        command.Parameters.AddWithValue("after", after?.Value ?? Guid.Empty);
        command.Parameters.AddWithValue("below", JobId.MinAt(finishedBefore).Value);
        command.Parameters.AddWithValue("state", (short)state);
        command.Parameters.AddWithValue("before", Utc(finishedBefore));
        command.Parameters.AddWithValue("limit", limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new FinishedDeletion(reader.GetInt32(0), reader.IsDBNull(1) ? null : new JobId(reader.GetGuid(1)));
    }

    public async Task<int> DeleteExpiredKeysAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken) =>
        await ExecuteAsync(
            """
            DELETE FROM job_idempotency_keys WHERE (tenant, key) IN (
                SELECT tenant, key FROM job_idempotency_keys WHERE expires_at < @now ORDER BY expires_at LIMIT @limit);
            """,
            cancellationToken, ("now", Utc(now)), ("limit", limit));
}
