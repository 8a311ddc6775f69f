namespace OrleansJobs;

/// <summary>
/// Hands work to the grid. An enqueue returns once the job is durably stored; from then on it
/// is never lost. Inputs are checked before anything is sent: a bad one throws
/// <see cref="JobValidationException"/> naming the field, and nothing is stored.
/// </summary>
public interface IJobClient
{
    /// <summary>Stores one job whose payload is <paramref name="payload"/> serialized as JSON.</summary>
    Task<JobId> EnqueueAsync<TPayload>(string tenant, string jobType, TPayload payload, EnqueueOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Stores many jobs. All are checked before any is sent; the jobs of one queue are stored in
    /// one transaction. Returns the ids in request order.
    /// </summary>
    Task<IReadOnlyList<JobId>> EnqueueManyAsync(IReadOnlyList<JobRequest> jobs, CancellationToken cancellationToken = default);

    /// <summary>
    /// Stores one job as <see cref="EnqueueAsync{TPayload}"/> does, and says whether it is new or
    /// the earlier job its idempotency key named (<see cref="EnqueueReceipt.Created"/> false: nothing
    /// new was stored, and this payload and these options were not used).
    /// </summary>
    Task<EnqueueReceipt> EnqueueWithReceiptAsync<TPayload>(string tenant, string jobType, TPayload payload, EnqueueOptions? options = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Stores one job whose payload is already UTF-8 JSON (<see cref="JobRequest.Payload"/>), byte for
    /// byte as given, with the receipt <see cref="EnqueueWithReceiptAsync{TPayload}"/> answers. For a
    /// gateway that passes on what its callers sent.
    /// </summary>
    Task<EnqueueReceipt> EnqueueWithReceiptAsync(JobRequest job, CancellationToken cancellationToken = default);

    /// <summary>Stores many jobs as <see cref="EnqueueManyAsync"/> does, with a receipt for each, in request order.</summary>
    Task<IReadOnlyList<EnqueueReceipt>> EnqueueManyWithReceiptsAsync(IReadOnlyList<JobRequest> jobs, CancellationToken cancellationToken = default);

    /// <summary>The job's status, or null when the tenant has no such job.</summary>
    Task<JobInfo?> GetStatusAsync(string tenant, JobId id, CancellationToken cancellationToken = default);

    /// <summary>
    /// Cancels a job. A waiting job is cancelled at once; a running one has its handler's token fired
    /// and ends cancelled when the handler stops (or is abandoned after the grace period). False when
    /// the job already finished or is unknown.
    /// </summary>
    Task<bool> CancelAsync(string tenant, JobId id, CancellationToken cancellationToken = default);

    /// <summary>Lists the tenant's dead-lettered jobs, newest first, <paramref name="pageSize"/> at a time (at most 1000).</summary>
    Task<DeadLetterPage> ListDeadLettersAsync(string tenant, DeadLetterFilter? filter = null, int pageSize = 100, JobId? cursor = null, CancellationToken cancellationToken = default);

    /// <summary>A dead-lettered job with its payload and every attempt's error, or null.</summary>
    Task<DeadLetteredJob?> GetDeadLetterAsync(string tenant, JobId id, CancellationToken cancellationToken = default);

    /// <summary>Puts one dead-lettered job back in its queue with fresh attempts; false when it is not dead-lettered.</summary>
    Task<bool> ReplayAsync(string tenant, JobId id, CancellationToken cancellationToken = default);

    /// <summary>Replays up to <paramref name="limit"/> of the tenant's dead-lettered jobs that match the filter; returns how many.</summary>
    Task<int> ReplayAsync(string tenant, DeadLetterFilter filter, int limit = 1000, CancellationToken cancellationToken = default);

    /// <summary>
    /// Pauses the queue across the cluster: it still takes jobs (up to its backlog limit) but starts
    /// none until resumed; attempts already running finish. Stored, so a pause outlives restarts and
    /// the queue moving to another silo. Returns the queue's stats, <see cref="QueueStats.Paused"/> set.
    /// </summary>
    Task<QueueStats> PauseQueueAsync(string tenant, string jobType, CancellationToken cancellationToken = default);

    /// <summary>Resumes a paused queue: it starts its waiting jobs at once. Returns the queue's stats.</summary>
    Task<QueueStats> ResumeQueueAsync(string tenant, string jobType, CancellationToken cancellationToken = default);

    /// <summary>The queue's counts, oldest waiting job, recent completion rate and drain time.</summary>
    Task<QueueStats> GetQueueStatsAsync(string tenant, string jobType, CancellationToken cancellationToken = default);

    /// <summary>The queue's effective policy: its override merged over the job type's defaults (null means no limit).</summary>
    Task<QueuePolicy> GetQueuePolicyAsync(string tenant, string jobType, CancellationToken cancellationToken = default);

    /// <summary>
    /// Replaces the queue's policy override, persisted and applied at once across the cluster; null
    /// fields inherit the job type's defaults, so <c>new QueuePolicy()</c> resets the queue. Returns the effective policy.
    /// </summary>
    Task<QueuePolicy> SetQueuePolicyAsync(string tenant, string jobType, QueuePolicy policyOverride, CancellationToken cancellationToken = default);

    /// <summary>
    /// Creates or replaces a recurring job; it enqueues one job at each occurrence of its cron
    /// expression from the next one after now. A bad cron expression, time zone, payload or option
    /// throws <see cref="JobValidationException"/> naming the field; an unknown job type throws
    /// <see cref="UnknownJobTypeException"/>.
    /// </summary>
    Task<ScheduleInfo> UpsertScheduleAsync(RecurringJob schedule, CancellationToken cancellationToken = default);

    /// <summary>The tenant's schedule of that name, or null.</summary>
    Task<ScheduleInfo?> GetScheduleAsync(string tenant, string scheduleId, CancellationToken cancellationToken = default);

    /// <summary>The tenant's schedules in name order, a page at a time; pass the page's cursor for the next.</summary>
    Task<SchedulePage> ListSchedulesAsync(string tenant, int pageSize = 100, string? cursor = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Pauses the tenant's schedule: it enqueues nothing until resumed, and has no next occurrence
    /// meanwhile. Stored. Returns the schedule, or null when there is none.
    /// </summary>
    Task<ScheduleInfo?> PauseScheduleAsync(string tenant, string scheduleId, CancellationToken cancellationToken = default);

    /// <summary>Resumes a paused schedule from its next occurrence after now; the occurrences it skipped are not made up. Null when there is none.</summary>
    Task<ScheduleInfo?> ResumeScheduleAsync(string tenant, string scheduleId, CancellationToken cancellationToken = default);

    /// <summary>Deletes the tenant's schedule; false when there was none. Jobs it already enqueued stay.</summary>
    Task<bool> DeleteScheduleAsync(string tenant, string scheduleId, CancellationToken cancellationToken = default);

    /// <summary>The tenant's effective policy: its override over the silo's defaults (null means no limit).</summary>
    Task<TenantPolicy> GetTenantPolicyAsync(string tenant, CancellationToken cancellationToken = default);

    /// <summary>
    /// Replaces the tenant's policy override, persisted and applied at once across the cluster; null
    /// fields inherit the silo's defaults. Returns the effective policy.
    /// </summary>
    Task<TenantPolicy> SetTenantPolicyAsync(string tenant, TenantPolicy policyOverride, CancellationToken cancellationToken = default);

    /// <summary>
    /// Pauses a whole tenant: each of its queues keeps taking jobs (up to its max backlog) and starts
    /// none until the tenant is resumed; attempts already running finish. Stored, so it outlives
    /// restarts; the tenant's busy queues hear of it at once, the others when they next have work.
    /// </summary>
    Task<TenantStatus> PauseTenantAsync(string tenant, CancellationToken cancellationToken = default);

    /// <summary>Resumes a paused tenant: its queues start their waiting jobs at once.</summary>
    Task<TenantStatus> ResumeTenantAsync(string tenant, CancellationToken cancellationToken = default);

    /// <summary>Whether the tenant is paused, and its in-flight cap.</summary>
    Task<TenantStatus> GetTenantStatusAsync(string tenant, CancellationToken cancellationToken = default);
}
