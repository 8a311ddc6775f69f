namespace OrleansJobs.Storage;

/// <summary>What people ask through the client, the HTTP API and the jobs page: a job looked up, dead letters listed and replayed, tenant policies. A part of <see cref="IJobStore"/>.</summary>
internal interface IAdminStore
{
    /// <summary>The tenant's job, or null.</summary>
    Task<JobInfo?> GetJobAsync(string tenant, JobId id, CancellationToken cancellationToken);

    /// <summary>The tenant's dead-lettered jobs matching the filter, newest id first, after <paramref name="cursor"/>.</summary>
    Task<DeadLetterPage> ListDeadAsync(string tenant, DeadLetterFilter filter, int pageSize, JobId? cursor, CancellationToken cancellationToken);

    /// <summary>A dead-lettered job with its payload and errors, or null when the tenant has no such dead job.</summary>
    Task<DeadLetteredJob?> GetDeadAsync(string tenant, JobId id, CancellationToken cancellationToken);

    /// <summary>Moves dead-lettered jobs back to enqueued with fresh attempts (<see cref="ReplayOne"/> or <see cref="ReplayMatching"/>).</summary>
    Task<IReadOnlyList<ReplayedJob>> ReplayAsync(DeadLetterReplay replay, CancellationToken cancellationToken);

    /// <summary>The tenant's policy override and pause (both null when a person set neither).</summary>
    Task<TenantSettings> GetTenantSettingsAsync(string tenant, CancellationToken cancellationToken);

    /// <summary>Pauses the tenant (<paramref name="pausedAt"/> set) or resumes it (null), keeping its policy override.</summary>
    Task SetTenantPausedAsync(string tenant, DateTimeOffset? pausedAt, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Stores the tenant's policy override, replacing any earlier one.</summary>
    Task SetTenantPolicyAsync(string tenant, TenantPolicy policy, DateTimeOffset now, CancellationToken cancellationToken);
}
