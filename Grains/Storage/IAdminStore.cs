namespace OrleansJobs.Storage;

/// <summary>What people ask through the client, the HTTP API and the jobs page: a job looked up, dead letters listed and replayed, tenant policies. A part of <see cref="IJobStore"/>.</summary>
internal interface IAdminStore
{
    /// <summary>The tenant's job, or null.</summary>
    Task<JobInfo?> GetJobAsync(string tenant, JobId id, CancellationToken cancellationToken);

    /// <summary>The tenant's dead-lettered jobs matching the filter, newest id first, after <paramref name="cursor"/>.</summary>
    Task<DeadLetterPage> ListDeadAsync(string tenant, DeadLetterFilter filter, int pageSize, JobId? cursor, CancellationToken cancellationToken);

    /// <summary>The tenant's job in any state with its payload and every failed attempt, oldest first; null when the tenant has no such job.</summary>
    Task<JobDetail?> GetJobDetailAsync(string tenant, JobId id, CancellationToken cancellationToken);

    /// <summary>The tenant that owns the job, or null when no job has this id: lets an admin find a job by its id alone.</summary>
    Task<string?> GetJobTenantAsync(JobId id, CancellationToken cancellationToken);

    /// <summary>A page of a queue's jobs in one state, in that state's order (see <see cref="JobListing"/>).</summary>
    Task<JobListPage> ListJobsAsync(JobListing listing, CancellationToken cancellationToken);

    /// <summary>The job the tenant's idempotency key points at while the key is held; null when no key of that name is held.</summary>
    Task<JobId?> FindByIdempotencyKeyAsync(string tenant, string key, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes finished jobs of the tenant (succeeded, cancelled or dead) with their error history: one by
    /// id, or up to a limit of the dead letters a filter matches. Jobs that have not finished are left alone.
    /// Returns how many went.
    /// </summary>
    Task<int> DeleteJobsAsync(FinishedJobsDeletion deletion, CancellationToken cancellationToken);

    /// <summary>How many of the tenant's dead letters match the filter, counting no further than <paramref name="upTo"/>.</summary>
    Task<int> CountDeadAsync(string tenant, DeadLetterFilter filter, int upTo, CancellationToken cancellationToken);

    /// <summary>Queues with jobs scheduled, waiting, running or dead-lettered, in (tenant, job type) order; of one tenant when the listing names one.</summary>
    Task<QueueListPage> ListQueuesAsync(QueueListing listing, CancellationToken cancellationToken);

    /// <summary>The tenant's job types with jobs in <paramref name="state"/>, in name order, at most <paramref name="limit"/>; from the per-queue counters, O(queues).</summary>
    Task<IReadOnlyList<string>> ListJobTypesAsync(string tenant, JobState state, int limit, CancellationToken cancellationToken);

    /// <summary>How many queues each of <paramref name="tenants"/> has with jobs scheduled, waiting, running or dead-lettered (as the queue list counts them); tenants with none are absent.</summary>
    Task<IReadOnlyDictionary<string, int>> CountQueuesAsync(IReadOnlyList<string> tenants, CancellationToken cancellationToken);

    /// <summary>Tenants with jobs in the store (in any state), in name order after <paramref name="after"/>.</summary>
    Task<IReadOnlyList<string>> ListTenantsAsync(string? after, int limit, CancellationToken cancellationToken);

    /// <summary>Moves dead-lettered jobs back to enqueued with fresh attempts (<see cref="ReplayOne"/> or <see cref="ReplayMatching"/>).</summary>
    Task<IReadOnlyList<ReplayedJob>> ReplayAsync(DeadLetterReplay replay, CancellationToken cancellationToken);

    /// <summary>The tenant's policy override and pause (both null when a person set neither).</summary>
    Task<TenantSettings> GetTenantSettingsAsync(string tenant, CancellationToken cancellationToken);

    /// <summary>Pauses the tenant (<paramref name="pausedAt"/> set) or resumes it (null), keeping its policy override.</summary>
    Task SetTenantPausedAsync(string tenant, DateTimeOffset? pausedAt, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Stores the tenant's policy override, replacing any earlier one.</summary>
    Task SetTenantPolicyAsync(string tenant, TenantPolicy policy, DateTimeOffset now, CancellationToken cancellationToken);
}
