namespace OrleansJobs.Storage;

/// <summary>
/// Where jobs live: one row per job. Writes on the hot path go through
/// <see cref="WriteAsync"/> so many callers share one transaction; every state change after an
/// attempt starts names the attempt's lease and is refused when that lease is stale.
/// Implementations pass the contract tests in <c>JobStoreContractTests</c>.
/// </summary>
public interface IJobStore
{
    /// <summary>Creates or upgrades the schema. Idempotent.</summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>Completes when the store answers a trivial query; for readiness checks.</summary>
    Task PingAsync(CancellationToken cancellationToken);

    /// <summary>Applies the batch in one transaction and returns each write's result.</summary>
    Task<JobWriteResult> WriteAsync(JobWriteBatch batch, CancellationToken cancellationToken);

    /// <summary>
    /// How many batches may be written at once. A store with one writer (SQLite) says 1: more would
    /// only split batches. A server says more, so one flush's commit overlaps the next's statements.
    /// </summary>
    int ConcurrentWrites { get; }

    /// <summary>
    /// Up to <paramref name="limit"/> enqueued jobs of the queue in run order (priority, then run-at,
    /// then id), from the first or, given <paramref name="after"/>, from the first that runs after it.
    /// Costs O(limit), whatever the queue's length.
    /// </summary>
    Task<IReadOnlyList<ReadyJob>> ReadReadyAsync(QueueKey queue, ReadyJob? after, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Moves up to <paramref name="limit"/> scheduled jobs due at <paramref name="now"/> to enqueued,
    /// earliest first, and returns them with the next due time, in one round trip: the queue offers
    /// them to its window directly instead of reading a page.
    /// </summary>
    Task<DuePromotion> PromoteDueAsync(QueueKey queue, DateTimeOffset now, int limit, CancellationToken cancellationToken);

    /// <summary>The earliest run-at of the queue's scheduled jobs, or null when none is scheduled.</summary>
    Task<DateTimeOffset?> GetNextDueAsync(QueueKey queue, CancellationToken cancellationToken);

    /// <summary>
    /// Returns the queue's active jobs to enqueued so they run again: all of them when the queue's
    /// previous owner is known to be gone (<paramref name="leaseExpiredBefore"/> null), else only
    /// those whose lease expired before that time. Jobs in <paramref name="stillHeld"/> are kept
    /// as they are: the caller holds their attempts and will record how each ends, however long it
    /// waited for a worker slot. Returns how many were requeued.
    /// </summary>
    Task<int> RequeueActiveAsync(QueueKey queue, DateTimeOffset? leaseExpiredBefore, IReadOnlyCollection<JobId> stillHeld, CancellationToken cancellationToken);

    /// <summary>Cancels the job if it is scheduled or enqueued. Returns false otherwise.</summary>
    Task<bool> CancelAsync(string tenant, JobId id, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>The tenant's job, or null.</summary>
    Task<JobInfo?> GetJobAsync(string tenant, JobId id, CancellationToken cancellationToken);

    /// <summary>The tenant's dead-lettered jobs matching the filter, newest id first, after <paramref name="cursor"/>.</summary>
    Task<DeadLetterPage> ListDeadAsync(string tenant, DeadLetterFilter filter, int pageSize, JobId? cursor, CancellationToken cancellationToken);

    /// <summary>A dead-lettered job with its payload and errors, or null when the tenant has no such dead job.</summary>
    Task<DeadLetteredJob?> GetDeadAsync(string tenant, JobId id, CancellationToken cancellationToken);

    /// <summary>
    /// Moves dead-lettered jobs back to enqueued with fresh attempts: the one with <paramref name="id"/>
    /// when given, else up to <paramref name="limit"/> matching <paramref name="filter"/>.
    /// </summary>
    Task<IReadOnlyList<ReplayedJob>> ReplayAsync(string tenant, JobId? id, DeadLetterFilter filter, int limit, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>How many of the queue's jobs wait (scheduled or enqueued). Read from the per-queue counters, whatever the backlog.</summary>
    async Task<long> CountWaitingAsync(QueueKey queue, CancellationToken cancellationToken)
    {
        var counts = await GetQueueCountsAsync(queue, cancellationToken);
        return counts.Scheduled + counts.Enqueued;
    }

    /// <summary>The queue's policy override, or null when it has none.</summary>
    Task<QueuePolicy?> GetQueuePolicyAsync(QueueKey queue, CancellationToken cancellationToken);

    /// <summary>Stores the queue's policy override, replacing any earlier one.</summary>
    Task SetQueuePolicyAsync(QueueKey queue, QueuePolicy policy, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>The tenant's policy override, or null when it has none.</summary>
    Task<TenantPolicy?> GetTenantPolicyAsync(string tenant, CancellationToken cancellationToken);

    /// <summary>Stores the tenant's policy override, replacing any earlier one.</summary>
    Task SetTenantPolicyAsync(string tenant, TenantPolicy policy, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>How many of the tenant's jobs are active (leased to an attempt), by job type. Read from the per-queue counters.</summary>
    Task<IReadOnlyDictionary<string, int>> CountActiveByJobTypeAsync(string tenant, CancellationToken cancellationToken);

    /// <summary>The tenant's schedule, or null.</summary>
    Task<ScheduleInfo?> GetScheduleAsync(string tenant, string id, CancellationToken cancellationToken);

    /// <summary>Creates or replaces the schedule's row: definition and where it stands.</summary>
    Task SaveScheduleAsync(ScheduleInfo schedule, CancellationToken cancellationToken);

    /// <summary>Deletes the schedule; false when there was none.</summary>
    Task<bool> DeleteScheduleAsync(string tenant, string id, CancellationToken cancellationToken);

    /// <summary>The tenant's schedules in id order, after <paramref name="cursor"/>.</summary>
    Task<SchedulePage> ListSchedulesAsync(string tenant, int pageSize, string? cursor, CancellationToken cancellationToken);

    /// <summary>Every schedule's (tenant, id), to wake their owners after a restart or a dead silo.</summary>
    Task<IReadOnlyList<(string Tenant, string Id)>> ListScheduleKeysAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Cancels exactly <paramref name="count"/> of the queue's enqueued jobs whose priority is lower than
    /// <paramref name="above"/>, lowest priority and latest first, recording <paramref name="reason"/>;
    /// cancels none when fewer qualify. Returns their ids. For backpressure that sheds by priority.
    /// </summary>
    Task<IReadOnlyList<JobId>> ShedAsync(QueueKey queue, JobPriority above, int count, string reason, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>
    /// Counts of the queue's jobs by state, kept by the store in the same transaction as every write,
    /// so reading them costs the same at ten jobs as at ten million.
    /// </summary>
    Task<QueueCounts> GetQueueCountsAsync(QueueKey queue, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes up to <paramref name="limit"/> jobs in the finished <paramref name="state"/> that finished before
    /// <paramref name="finishedBefore"/>, with their error records, in id order after <paramref name="after"/>.
    /// Only ids made before that time are read, so a page costs O(limit) plus the older rows it skips.
    /// </summary>
    Task<FinishedDeletion> DeleteFinishedAsync(JobState state, DateTimeOffset finishedBefore, JobId? after, int limit, CancellationToken cancellationToken);

    /// <summary>Deletes up to <paramref name="limit"/> idempotency keys that expired before <paramref name="now"/>; returns how many.</summary>
    Task<int> DeleteExpiredKeysAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken);

    /// <summary>Every queue with scheduled, enqueued or active jobs: these need an owner after a restart. O(queues).</summary>
    Task<IReadOnlyList<QueueKey>> ListQueuesWithPendingWorkAsync(CancellationToken cancellationToken);
}
