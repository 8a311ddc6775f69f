using OrleansJobs.Grains;
using OrleansJobs.Tenants;

namespace OrleansJobs.Queues;

/// <summary>
/// The queue's side of its tenant's in-flight cap. The queue starts a job only within the allowance
/// its tenant granted, and only while that grant is fresh: a grant not renewed within half the
/// tenant's holding lifetime may have been given away, so the queue asks again before starting more.
/// </summary>
internal sealed partial class QueueGrain
{
    private ITenantGrain _tenant = null!;
    private PermitGrant? _grant;
    private DateTimeOffset _grantedAt;
    private bool _permitsSyncing;
    private bool _permitsSyncAgain;

    /// <summary>The tenant had no more to give at the last exchange: wait until it says permits changed.</summary>
    private bool _permitsDenied;

    private TimeSpan PermitFreshFor => TenantGrain.HoldingLifetime(_options) / 2;

    private bool GrantIsFresh => _grant is not null && _time.GetUtcNow() - _grantedAt < PermitFreshFor;

    /// <summary>Jobs the queue could run at once now, were the tenant's permits no object.</summary>
    private int PermitsWanted => Math.Min(_policy.MaxConcurrency, _running.Count + _window.Count);

    /// <summary>
    /// Permits worth keeping of <paramref name="allowance"/>: all of them unless other queues wait,
    /// else what the queue can use up to its fair share, and never fewer than it runs.
    /// </summary>
    private int PermitsToKeep(int allowance) =>
        _grant?.Share is { } share ? Math.Max(_running.Count, Math.Min(allowance, Math.Min(PermitsWanted, share))) : allowance;

    /// <summary>How many more jobs the tenant's permits let the queue start now.</summary>
    private int PermitsFree()
    {
        if (!GrantIsFresh)
        {
            return 0;
        }

        if (_grant!.Allowance is not { } allowance)
        {
            return int.MaxValue;
        }

        // While others wait, a freed permit above the fair share goes back rather than to another job here.
        var usable = _grant.Share is { } share ? Math.Min(allowance, share) : allowance;
        return Math.Max(0, usable - _running.Count);
    }

    /// <summary>Asks the tenant for permits when the queue needs more, or gives back what others wait for.</summary>
    private void SyncPermitsIfNeeded()
    {
        if (_type is null || _draining)
        {
            return;
        }

        bool needed;
        if (!GrantIsFresh)
        {
            needed = PermitsWanted > _running.Count;
        }
        else
        {
            needed = _grant!.Allowance is { } allowance
                && ((_grant.Share is not null && PermitsToKeep(allowance) < allowance) || (!_permitsDenied && PermitsWanted > allowance));
        }

        if (needed)
        {
            _ = SyncPermitsAsync();
        }
    }

    public Task PermitsChangedAsync()
    {
        _permitsDenied = false;
        return _type is null ? Task.CompletedTask : SyncPermitsAsync();
    }

    /// <summary>One exchange with the tenant at a time; a request made meanwhile runs right after it.</summary>
    private async Task SyncPermitsAsync()
    {
        if (_permitsSyncing)
        {
            _permitsSyncAgain = true;
            return;
        }

        _permitsSyncing = true;
        try
        {
            do
            {
                _permitsSyncAgain = false;
                var wanted = PermitsWanted;

                // Keep the whole allowance unless others wait for it or it may have lapsed; either
                // way start nothing beyond what is kept until the tenant answers.
                var held = GrantIsFresh && _grant!.Allowance is { } allowance ? PermitsToKeep(allowance) : _running.Count;
                if (_grant is { Allowance: not null })
                {
                    _grant = _grant with { Allowance = held };
                }

                var grant = await _tenant.SyncPermitsAsync(_queue.JobType, held, wanted);
                _grant = grant;
                _grantedAt = _time.GetUtcNow();
                _permitsDenied = grant.Allowance is { } granted && granted < wanted;
            }
            while (_permitsSyncAgain);
        }
        catch (Exception ex)
        {
            // Start nothing on a grant that may have lapsed; the pump asks again shortly.
            _grantedAt = DateTimeOffset.MinValue;
            LogPermitSyncFailed(ex, _queue.Tenant, _queue.JobType);
            ArmPumpTimer(StoreRetryDelay);
        }
        finally
        {
            _permitsSyncing = false;
        }

        Pump();
    }

    /// <summary>Hands the queue's permits back when it stops, so its tenant's other queues can use them.</summary>
    private async Task ReleasePermitsAsync()
    {
        if (_grant is null)
        {
            return;
        }

        try
        {
            _grant = null;
            await _tenant.ReleasePermitsAsync(_queue.JobType);
        }
        catch (Exception ex)
        {
            // The tenant frees the holding anyway once it goes unrefreshed.
            LogPermitSyncFailed(ex, _queue.Tenant, _queue.JobType);
        }
    }
}
