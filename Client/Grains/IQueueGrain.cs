using Orleans.Concurrency;

namespace OrleansJobs.Grains;

/// <summary>
/// The single owner of one queue (tenant, job type), keyed "tenant/type": it stores new jobs,
/// keeps a bounded window of due jobs in memory and runs them within the queue's budget.
/// </summary>
[Alias("OrleansJobs.IQueueGrain")]
public interface IQueueGrain : IGrainWithStringKey
{
    /// <summary>Stores the jobs in one transaction and returns their ids in order (an earlier job's id when an idempotency key repeats).</summary>
    [Alias("Enqueue")]
    Task<EnqueueReceipt[]> EnqueueAsync(JobSubmission[] jobs);

    /// <summary>Cancels a waiting job, or fires a running attempt's cancellation token. False when finished or unknown.</summary>
    [Alias("Cancel")]
    Task<bool> CancelAsync(JobId id);

    /// <summary>The queue's effective policy: its override merged over the job type's defaults.</summary>
    [Alias("GetPolicy")]
    Task<QueuePolicy> GetPolicyAsync();

    /// <summary>Stores the queue's policy override (null fields inherit the type's defaults) and applies it at once.</summary>
    [Alias("SetPolicy")]
    Task<QueuePolicy> SetPolicyAsync(QueuePolicy policyOverride);

    /// <summary>The queue's counts from the store and its recent pace.</summary>
    [Alias("GetStats")]
    Task<QueueStats> GetStatsAsync();

    /// <summary>Pauses the queue (it takes jobs and starts none; running ones finish) or resumes it; stored, so it outlives the activation.</summary>
    [Alias("SetPaused")]
    Task<QueueStats> SetPausedAsync(bool paused);

    /// <summary>Tells the queue that the store holds due jobs it may not know of (replay, restart).</summary>
    [Alias("Wake")]
    Task WakeAsync();

    /// <summary>Its tenant's permits changed (freed, wanted by another queue, or a new cap): ask again.</summary>
    [Alias("PermitsChanged"), OneWay]
    Task PermitsChangedAsync();

    /// <summary>
    /// The queue's tenant was paused: the queue's grant is void at once, so it starts nothing until the
    /// tenant answers again. Awaited by the tenant, so that a pause that returned has stopped every queue it knew.
    /// </summary>
    [Alias("TenantPaused")]
    Task TenantPausedAsync();
}

/// <summary>Reads and operator actions that span queues; a stateless worker on every silo.</summary>
[Alias("OrleansJobs.IJobAdminGrain")]
public interface IJobAdminGrain : IGrainWithIntegerKey
{
    /// <summary>The job's status, or null when the tenant has no such job.</summary>
    [Alias("GetJob")]
    Task<JobInfo?> GetJobAsync(string tenant, JobId id);

    /// <summary>Cancels the tenant's job, waiting or running.</summary>
    [Alias("Cancel")]
    Task<bool> CancelAsync(string tenant, JobId id);

    /// <summary>Lists the tenant's dead-lettered jobs, newest first.</summary>
    [Alias("ListDead")]
    Task<DeadLetterPage> ListDeadLettersAsync(string tenant, DeadLetterFilter filter, int pageSize, JobId? cursor);

    /// <summary>A dead-lettered job with its payload and every attempt's error, or null.</summary>
    [Alias("GetDead")]
    Task<DeadLetteredJob?> GetDeadLetterAsync(string tenant, JobId id);

    /// <summary>Puts one dead-lettered job back in its queue. False when it is not dead-lettered.</summary>
    [Alias("ReplayOne")]
    Task<bool> ReplayAsync(string tenant, JobId id);

    /// <summary>Puts up to <paramref name="limit"/> matching dead-lettered jobs back in their queues; returns how many.</summary>
    [Alias("ReplayMany")]
    Task<int> ReplayAsync(string tenant, DeadLetterFilter filter, int limit);

    /// <summary>The tenant's schedules in name order, after <paramref name="cursor"/>.</summary>
    [Alias("ListSchedules")]
    Task<SchedulePage> ListSchedulesAsync(string tenant, int pageSize, string? cursor);
}
