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
    private DateTimeOffset? _pausedAt;

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
        var settings = await store.GetTenantSettingsAsync(Tenant, cancellationToken);
        (_override, _pausedAt) = (settings.Override, settings.PausedAt);
        _permits.SetCap(Effective.MaxInFlight);
        _permits.SetPaused(_pausedAt is not null);
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

    public async Task<TenantStatus> SetPausedAsync(bool paused)
    {
        if (_permits.Paused != paused)
        {
            // Stored first: a pause must outlive this activation (a restart, the grain moving silos).
            var now = Queues.StoreTime.Floor(time.GetUtcNow());
            await store.SetTenantPausedAsync(Tenant, paused ? now : null, now, CancellationToken.None);
            _pausedAt = paused ? now : null;
            LogPauseChanged(Tenant, paused ? "paused: its queues take jobs and start none" : "resumed");
            var queues = _permits.SetPaused(paused);
            if (paused)
            {
                await StopQueuesAsync(queues);
            }
            else
            {
                Notify(queues);
            }
        }

        return Status;
    }

    public Task<TenantStatus> GetStatusAsync() => Task.FromResult(Status);

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

    private TenantStatus Status => new() { Tenant = Tenant, Paused = _pausedAt is not null, PausedAt = _pausedAt, MaxInFlight = Effective.MaxInFlight };

    private TenantPolicy Effective => new() { MaxInFlight = _override?.MaxInFlight ?? options.Value.DefaultTenantMaxInFlight };

    /// <summary>
    /// Tells the queues that hold permits to start nothing more, and waits until they have: a queue
    /// that cannot be reached stops anyway once its grant goes stale.
    /// </summary>
    private async Task StopQueuesAsync(IEnumerable<string> jobTypes)
    {
        try
        {
            await Task.WhenAll(jobTypes.Select(jobType => GrainFactory.GetGrain<IQueueGrain>(new QueueKey(Tenant, jobType).ToString()).TenantPausedAsync()))
                .WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception ex)
        {
            LogPauseNotDelivered(ex, Tenant);
        }
    }

    private void Notify(IEnumerable<string> jobTypes)
    {
        foreach (var jobType in jobTypes)
        {
            // One-way: the queue calls back into this grain, which must not wait on it meanwhile.
            _ = GrainFactory.GetGrain<IQueueGrain>(new QueueKey(Tenant, jobType).ToString()).PermitsChangedAsync();
        }
    }

    [LoggerMessage(EventId = (int)LogEvents.TenantPauseChanged, Level = LogLevel.Information, Message = "Tenant {Tenant} {State}")]
    private partial void LogPauseChanged(string tenant, string state);

    [LoggerMessage(EventId = (int)LogEvents.TenantPauseNotDelivered, Level = LogLevel.Warning, Message = "Tenant {Tenant} paused, but not every queue confirmed it; those stop once their permits go stale")]
    private partial void LogPauseNotDelivered(Exception error, string tenant);

    [LoggerMessage(EventId = (int)LogEvents.TenantPolicyChanged, Level = LogLevel.Information, Message = "Tenant {Tenant} policy is now {Policy}")]
    private partial void LogPolicyChanged(string tenant, string policy);
}
