using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansJobs.Diagnostics;
using OrleansJobs.Grains;
using OrleansJobs.Hosting;
using OrleansJobs.Storage;

namespace OrleansJobs.Tenants;

/// <summary>
/// Owns one tenant's in-flight cap. Its permit ledger lives only in memory: queues report what
/// they hold on every exchange, and a new activation (after a move or a crash) starts from the
/// jobs the store says are active, so a permit in use is not handed out twice.
/// </summary>
internal sealed partial class TenantGrain(
    IAdminStore store,
    IQueueReadStore queues,
    IOptions<OrleansJobsOptions> options,
    TimeProvider time,
    ILogger<TenantGrain> logger) : Grain, ITenantGrain
{
    private readonly TenantPermitPool _permits = new(time, HoldingLifetime(options.Value));
    private TenantPolicy? _override;

    /// <summary>
    /// A queue refreshes its holding at every housekeeping tick while busy and treats its permits as
    /// void after half of this, so a holding not heard of for this long belongs to a queue that is gone.
    /// </summary>
    internal static TimeSpan HoldingLifetime(OrleansJobsOptions options) => options.HousekeepingInterval * 3;

    private string Tenant => this.GetPrimaryKeyString();

    public override Task OnActivateAsync(CancellationToken cancellationToken) =>
        StoreErrorBoundary.ActivateAsync(() => ActivateAsync(cancellationToken), $"tenant {Tenant}");

    private async Task ActivateAsync(CancellationToken cancellationToken)
    {
        _override = await store.GetTenantPolicyAsync(Tenant, cancellationToken);
        _permits.SetCap(Effective.MaxInFlight);
        _permits.Seed(await queues.CountActiveByJobTypeAsync(Tenant, cancellationToken));

        // Queues that run jobs now learned their permits from an earlier activation: hear from them at once.
        Notify(_permits.Queues);
    }

    public Task<TenantPolicy> GetPolicyAsync() => Task.FromResult(Effective);

    public async Task<TenantPolicy> SetPolicyAsync(TenantPolicy policyOverride)
    {
        JobValidator.ValidateTenantPolicy(policyOverride);
        await store.SetTenantPolicyAsync(Tenant, policyOverride, time.GetUtcNow(), CancellationToken.None);
        _override = policyOverride;
        var effective = Effective;
        LogPolicyChanged(Tenant, StoredJson.Write(effective));
        Notify(_permits.SetCap(effective.MaxInFlight));
        return effective;
    }

    public Task<PermitGrant> SyncPermitsAsync(string jobType, int held, int wanted)
    {
        var (grant, notify) = _permits.Sync(jobType, held, wanted);
        Notify(notify);
        return Task.FromResult(grant);
    }

    public Task ReleasePermitsAsync(string jobType)
    {
        Notify(_permits.Release(jobType));
        return Task.CompletedTask;
    }

    private TenantPolicy Effective => new() { MaxInFlight = _override?.MaxInFlight ?? options.Value.DefaultTenantMaxInFlight };

    private void Notify(IEnumerable<string> jobTypes)
    {
        foreach (var jobType in jobTypes)
        {
            // One-way: the queue calls back into this grain, which must not wait on it meanwhile.
            _ = GrainFactory.GetGrain<IQueueGrain>(new QueueKey(Tenant, jobType).ToString()).PermitsChangedAsync();
        }
    }

    [LoggerMessage(EventId = (int)LogEvents.TenantPolicyChanged, Level = LogLevel.Information, Message = "Tenant {Tenant} policy is now {Policy}")]
    private partial void LogPolicyChanged(string tenant, string policy);
}
