using Orleans.Concurrency;

namespace OrleansJobs.Grains;

/// <summary>
/// The single owner of one tenant's cross-queue limits, keyed by tenant: it hands its queues
/// permits to run jobs so that together they stay within the tenant's in-flight cap.
/// </summary>
[Alias("OrleansJobs.ITenantGrain")]
public interface ITenantGrain : IGrainWithStringKey
{
    /// <summary>The tenant's effective policy: its override over the silo's defaults.</summary>
    [Alias("GetPolicy")]
    Task<TenantPolicy> GetPolicyAsync();

    /// <summary>Stores the tenant's policy override and applies it to its queues at once.</summary>
    [Alias("SetPolicy")]
    Task<TenantPolicy> SetPolicyAsync(TenantPolicy policyOverride);

    /// <summary>
    /// A queue of the tenant reports the permits it keeps (<paramref name="held"/>: at least what it
    /// runs, and it starts no more until answered) and how many it could use; the answer is how many
    /// it may hold from now on, never fewer than it kept.
    /// </summary>
    /// <remarks>
    /// Interleaves with a pause in progress, which waits for the tenant's queues while they ask for
    /// their new grants; it awaits nothing itself, so its work is never split.
    /// </remarks>
    [Alias("SyncPermits"), AlwaysInterleave]
    Task<PermitGrant> SyncPermitsAsync(string jobType, int held, int wanted);

    /// <summary>
    /// Pauses the tenant (its queues take jobs and start none; what runs finishes) or resumes it. Stored
    /// first, so it outlives restarts; the tenant's queues hear of it at once.
    /// </summary>
    [Alias("SetPaused")]
    Task<TenantStatus> SetPausedAsync(bool paused);

    /// <summary>Whether the tenant is paused, and its cap.</summary>
    [Alias("GetStatus")]
    Task<TenantStatus> GetStatusAsync();

    /// <summary>A queue of the tenant stops (it runs nothing): forget it and free its permits.</summary>
    /// <remarks>Interleaves, as <see cref="SyncPermitsAsync"/> does: a queue stopping during a pause must not wait for it.</remarks>
    [Alias("ReleasePermits"), AlwaysInterleave]
    Task ReleasePermitsAsync(string jobType);
}

/// <summary>A tenant's answer to one of its queues.</summary>
/// <param name="Allowance">How many jobs the queue may run at once; null when the tenant has no cap.</param>
/// <param name="Share">
/// Set while other queues of the tenant wait for permits: the allowance each queue should come down
/// to, so the queue gives back what it does not use or holds beyond it.
/// </param>
/// <param name="Paused">A person paused the tenant: the queue starts nothing (its share is 0) and says so.</param>
[GenerateSerializer, Immutable]
public sealed record PermitGrant([property: Id(0)] int? Allowance, [property: Id(1)] int? Share, [property: Id(2)] bool Paused = false);
