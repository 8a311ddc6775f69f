namespace OrleansJobs.Storage;

/// <summary>What keeps the store itself whole: the schema, a readiness probe, and retention. A part of <see cref="IJobStore"/>.</summary>
internal interface IMaintenanceStore
{
    /// <summary>Creates or upgrades the schema. Idempotent.</summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>Completes when the store answers a trivial query; for readiness checks.</summary>
    Task PingAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Where retention of <paramref name="state"/> walks: the queues holding succeeded (or cancelled) jobs, or
    /// for dead letters the tenants holding any (as <see cref="QueueKey"/>s with an empty job type), read from
    /// the per-queue counters in O(queues).
    /// </summary>
    Task<IReadOnlyList<QueueKey>> ListRetentionScopesAsync(JobState state, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes up to <paramref name="limit"/> jobs of <paramref name="scope"/> (from <see cref="ListRetentionScopesAsync"/>)
    /// in the finished <paramref name="state"/> that finished before <paramref name="finishedBefore"/>, with their
    /// error records, in id order after <paramref name="after"/>. Only the scope's rows in that state made before
    /// that time are read, along the state's partial index, so a page costs O(limit) plus the rows of that state it
    /// keeps (those made before the cutoff that finished after it).
    /// </summary>
    Task<FinishedDeletion> DeleteFinishedAsync(QueueKey scope, JobState state, DateTimeOffset finishedBefore, JobId? after, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Looks at up to <paramref name="limit"/> idempotency keys past their first expiry: deletes each
    /// whose job is gone or ended at least the key's own retention before <paramref name="now"/>, and
    /// moves the others' expiry to their job's end plus that retention, or, while the job has not
    /// ended, to <paramref name="now"/> plus the longer of it and <paramref name="retention"/> (the
    /// silo's default, so a short-lived key of a long job is not read again at every sweep). A key
    /// whose job still exists is judged by the job when an enqueue claims it, so moving its expiry
    /// never holds it longer than its retention. Returns how many keys it looked at.
    /// </summary>
    Task<int> ExpireKeysAsync(DateTimeOffset now, TimeSpan retention, int limit, CancellationToken cancellationToken);
}
