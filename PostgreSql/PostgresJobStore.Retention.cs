namespace OrleansJobs.Storage.Postgres;

internal sealed partial class PostgresJobStore
{
    public async Task<IReadOnlyList<QueueKey>> ListRetentionScopesAsync(JobState state, CancellationToken cancellationToken)
    {
        await using var command = _db.CreateCommand(RetentionSql.Scopes(state));
        return await QueueKeyRows.ReadAsync(command, cancellationToken);
    }

    public async Task<FinishedDeletion> DeleteFinishedAsync(QueueKey scope, JobState state, DateTimeOffset finishedBefore, JobId? after, int limit, CancellationToken cancellationToken)
    {
        await using var command = _db.CreateCommand();
        var doomed = RetentionSql.Doomed(scope, state, Bind(command));
        command.CommandText = $"""
            WITH doomed AS ({doomed}),
            gone AS (DELETE FROM jobs AS j USING doomed WHERE j.id = doomed.id RETURNING j.id),
            errors AS (DELETE FROM job_errors AS e USING gone WHERE e.job_id = gone.id)
            SELECT (SELECT COUNT(*)::int FROM gone), (SELECT id FROM gone ORDER BY id DESC LIMIT 1);
            """;
        command.Parameters.AddWithValue("after", after?.Value ?? Guid.Empty);
        command.Parameters.AddWithValue("below", JobId.MinAt(finishedBefore).Value);
        command.Parameters.AddWithValue("before", Utc(finishedBefore));
        command.Parameters.AddWithValue("limit", limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new FinishedDeletion(reader.GetInt32(0), reader.IsDBNull(1) ? null : new JobId(reader.GetGuid(1)));
    }

    public async Task<int> ExpireKeysAsync(DateTimeOffset now, TimeSpan retention, int limit, CancellationToken cancellationToken)
    {
        // Both writes check the row's expiry again, so a key an enqueue took over meanwhile (a new
        // job, a later expiry) is left alone. A throttle key is done at its expiry; a debounce key once
        // its job is no longer scheduled; any other once its job ended its retention ago.
        await using var command = _db.CreateCommand("""
            WITH expired AS (
                SELECT k.tenant, k.key, j.finished_at, k.retention_ms * interval '1 millisecond' AS retention,
                    CASE k.mode
                        WHEN 1 THEN true
                        WHEN 2 THEN j.id IS NULL OR j.state <> 0
                        ELSE j.id IS NULL OR COALESCE(j.finished_at + k.retention_ms * interval '1 millisecond' <= @now, false)
                    END AS done
                FROM job_idempotency_keys k LEFT JOIN jobs j ON j.id = k.job_id
                WHERE k.expires_at < @now ORDER BY k.expires_at LIMIT @limit),
            deleted AS (
                DELETE FROM job_idempotency_keys k USING expired e
                WHERE e.done AND k.tenant = e.tenant AND k.key = e.key AND k.expires_at < @now RETURNING 1),
            kept AS (
                UPDATE job_idempotency_keys k SET expires_at = COALESCE(e.finished_at + e.retention, @now + GREATEST(e.retention, @recheck)) FROM expired e
                WHERE NOT e.done AND k.tenant = e.tenant AND k.key = e.key AND k.expires_at < @now RETURNING 1)
            SELECT (SELECT COUNT(*) FROM expired)::int;
            """);
        command.Parameters.AddWithValue("now", Utc(now));
        command.Parameters.AddWithValue("recheck", retention);
        command.Parameters.AddWithValue("limit", limit);
        return (int)(await command.ExecuteScalarAsync(cancellationToken))!;
    }
}
