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
    [Alias("SyncPermits")]
    Task<PermitGrant> SyncPermitsAsync(string jobType, int held, int wanted);

    /// <summary>A queue of the tenant stops (it runs nothing): forget it and free its permits.</summary>
    [Alias("ReleasePermits")]
    Task ReleasePermitsAsync(string jobType);
}

/// <summary>A tenant's answer to one of its queues.</summary>
/// <param name="Allowance">How many jobs the queue may run at once; null when the tenant has no cap.</param>
/// <param name="Share">
/// Set while other queues of the tenant wait for permits: the allowance each queue should come down
/// to, so the queue gives back what it does not use or holds beyond it.
/// </param>
[GenerateSerializer, Immutable]
public sealed record PermitGrant([property: Id(0)] int? Allowance, [property: Id(1)] int? Share);
