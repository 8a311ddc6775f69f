using OrleansJobs.Grains;

namespace OrleansJobs.Queues.Core;

/// <summary>
/// The queue's side of its tenant's in-flight cap. The queue starts a job only within the allowance
/// its tenant granted, and only while that grant is fresh: a grant not renewed within
/// <paramref name="freshFor"/> may have been given away, so the queue asks again before starting more.
/// One exchange with the tenant at a time; a request made meanwhile follows right after it.
/// </summary>
internal sealed class PermitClient(TimeSpan freshFor)
{
    private PermitGrant? _grant;
    private DateTimeOffset _grantedAt = DateTimeOffset.MinValue;

    /// <summary>When the exchange in flight was sent: the tenant renewed the holding no earlier.</summary>
    private DateTimeOffset _sentAt = DateTimeOffset.MinValue;
    private bool _syncAgain;

    /// <summary>The grant was revoked while an exchange was in flight: its answer may predate the revocation.</summary>
    private bool _revokedInFlight;
    private int _wantedSent;

    /// <summary>The tenant had no more to give at the last exchange: wait until it says permits changed.</summary>
    private bool _denied;

    /// <summary>An exchange with the tenant is in flight.</summary>
    public bool Syncing { get; private set; }

    /// <summary>The tenant said at the last exchange that a person paused it: the queue starts nothing.</summary>
    public bool TenantPaused => _grant?.Paused ?? false;

    /// <summary>Whether the queue holds a grant to hand back when it stops.</summary>
    public bool HoldsGrant => _grant is not null;

    public bool IsFresh(DateTimeOffset now) => _grant is not null && now - _grantedAt < freshFor;

    /// <summary>How many more jobs the permits let the queue start now, with <paramref name="inBudget"/> attempts running.</summary>
    public int Free(DateTimeOffset now, int inBudget)
    {
        if (!IsFresh(now))
        {
            return 0;
        }

        if (_grant!.Allowance is not { } allowance)
        {
            return int.MaxValue;
        }

        // While others wait, a freed permit above the fair share goes back rather than to another job here.
        var usable = _grant.Share is { } share ? Math.Min(allowance, share) : allowance;
        return Math.Max(0, usable - inBudget);
    }

    /// <summary>Asks the tenant when the queue needs more than it holds, or gives back what others wait for.</summary>
    public SyncPermits? SyncIfNeeded(DateTimeOffset now, int wanted, int inBudget)
    {
        bool needed;
        if (!IsFresh(now))
        {
            needed = wanted > inBudget;
        }
        else
        {
            needed = _grant!.Allowance is { } allowance
                && ((_grant.Share is not null && Keep(allowance, wanted, inBudget) < allowance) || (!_denied && wanted > allowance));
        }

        return needed ? Sync(now, wanted, inBudget) : null;
    }

    /// <summary>Exchanges with the tenant now, or right after the exchange in flight.</summary>
    public SyncPermits? Sync(DateTimeOffset now, int wanted, int inBudget)
    {
        if (Syncing)
        {
            _syncAgain = true;
            return null;
        }

        // Keep the whole allowance unless others wait for it or it may have lapsed; either way start
        // nothing beyond what is kept until the tenant answers.
        var held = IsFresh(now) && _grant!.Allowance is { } allowance ? Keep(allowance, wanted, inBudget) : inBudget;
        if (_grant is { Allowance: not null })
        {
            _grant = _grant with { Allowance = held };
        }

        Syncing = true;
        _syncAgain = false;
        _wantedSent = wanted;
        _sentAt = now;
        return new SyncPermits(held, wanted);
    }

    /// <summary>The tenant answered. Returns whether a request made meanwhile must be sent now.</summary>
    public bool Granted(DateTimeOffset now, PermitGrant grant)
    {
        // Fresh from when the request left, not from when the answer came: the tenant's holding dates
        // from its handling of the request, and a slow answer must not stretch the grant past it.
        _grant = grant;
        _grantedAt = _revokedInFlight ? DateTimeOffset.MinValue : Syncing ? _sentAt : now;
        _revokedInFlight = false;
        _denied = grant.Allowance is { } granted && granted < _wantedSent;
        Syncing = false;
        return _syncAgain;
    }

    /// <summary>The tenant could not be reached: start nothing on a grant that may have lapsed.</summary>
    public void SyncFailed()
    {
        _grantedAt = DateTimeOffset.MinValue;
        _revokedInFlight = false;
        Syncing = false;
        _syncAgain = false;
    }

    /// <summary>The tenant was paused: start nothing on the grant held, nor on an answer already on its way.</summary>
    public void Revoke()
    {
        _grantedAt = DateTimeOffset.MinValue;
        _revokedInFlight = Syncing;
        _denied = false;
    }

    /// <summary>The tenant says permits changed: a denied queue may ask again.</summary>
    public void Changed() => _denied = false;

    /// <summary>The queue stops: it holds nothing any more.</summary>
    public void Release() => _grant = null;

    /// <summary>
    /// Permits worth keeping of <paramref name="allowance"/>: all of them unless other queues wait,
    /// else what the queue can use up to its fair share, and never fewer than it runs.
    /// </summary>
    private int Keep(int allowance, int wanted, int inBudget) =>
        _grant?.Share is { } share ? Math.Max(inBudget, Math.Min(allowance, Math.Min(wanted, share))) : allowance;
}
