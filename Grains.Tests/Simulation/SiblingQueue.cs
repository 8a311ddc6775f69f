using OrleansJobs.Tenants;

namespace OrleansJobs.Tests.Simulation;

/// <summary>
/// A stand-in for another queue of the simulated queue's tenant: it shares the real permit pool and
/// renews its holding as housekeeping does, each time finishing some of its attempts, asking for a
/// random number and starting what its grant allows (never fewer than still run).
/// </summary>
internal sealed class SiblingQueue(TenantPermitPool permits, int tenantCap, TimeSpan renewEvery)
{
    public const string Name = "other";

    private DateTimeOffset _syncedAt;
    private bool _stopped;

    /// <summary>Its attempts in flight, all counted against the tenant's cap.</summary>
    public int Running { get; private set; }

    /// <summary>When it renews next; null once it stopped.</summary>
    public DateTimeOffset? RenewsAt => _stopped ? null : _syncedAt + renewEvery;

    /// <summary>Syncs with the pool; says what happened and which queues the pool tells their permits changed.</summary>
    public (string Note, IReadOnlyList<string> Notify) Renew(DateTimeOffset now, Random random)
    {
        Running -= random.Next(Running + 1);
        var wanted = random.Next(0, tenantCap + 3);
        var (grant, notify) = permits.Sync(Name, Running, wanted);
        var usable = Math.Min(grant.Allowance ?? int.MaxValue, grant.Share ?? int.MaxValue);
        Running = Math.Max(Running, Math.Min(usable, wanted));
        _syncedAt = now;
        return ($"sibling queue: {Running} running, wants {wanted}, granted {grant}", notify);
    }

    /// <summary>It drains and stops, as a queue with nothing left to do releases its permits.</summary>
    public IReadOnlyList<string> Stop()
    {
        _stopped = true;
        Running = 0;
        return permits.Release(Name);
    }
}
