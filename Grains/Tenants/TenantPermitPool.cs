using OrleansJobs.Grains;

namespace OrleansJobs.Tenants;

/// <summary>
/// Splits one tenant's in-flight cap between its queues. Each queue holds an allowance; the
/// allowances never add up to more than the cap except when the cap was lowered under running
/// work, and a queue is never told to hold less than it reported keeping, so a permit in use is
/// never given to another queue. Under contention each queue is steered toward an equal share.
/// Holdings not refreshed within their lifetime belong to queues that are gone and are freed.
/// Pure: the tenant grain feeds it and delivers the notifications it names.
/// </summary>
internal sealed class TenantPermitPool(TimeProvider time, TimeSpan holdingLifetime)
{
    private readonly Dictionary<string, Holding> _holdings = new(StringComparer.Ordinal);

    /// <summary>The tenant's cap; null when it has none.</summary>
    public int? Cap { get; private set; }

    /// <summary>A person paused the tenant: every queue keeps what runs and starts nothing.</summary>
    public bool Paused { get; private set; }

    /// <summary>Sum of every live holding's allowance.</summary>
    public int Allotted => _holdings.Values.Sum(h => h.Allowance);

    /// <summary>Queues known to hold or want permits.</summary>
    public IReadOnlyCollection<string> Queues => _holdings.Keys;

    /// <summary>Takes what the store says runs now as the queues' holdings, until they report themselves.</summary>
    public void Seed(IReadOnlyDictionary<string, int> runningByJobType)
    {
        var now = time.GetUtcNow();
        foreach (var (jobType, running) in runningByJobType)
        {
            _holdings[jobType] = new Holding(running, running, now);
        }
    }

    /// <summary>Sets the cap; every known queue must be told to ask again.</summary>
    public IReadOnlyList<string> SetCap(int? cap)
    {
        Cap = cap;
        return [.. _holdings.Keys];
    }

    /// <summary>Pauses or resumes the tenant; every known queue must be told to ask again.</summary>
    public IReadOnlyList<string> SetPaused(bool paused)
    {
        Paused = paused;
        return [.. _holdings.Keys];
    }

    /// <summary>
    /// A queue reports the permits it keeps and how many it could use; returns what it may hold and
    /// the other queues to tell that their permits changed.
    /// </summary>
    public (PermitGrant Grant, IReadOnlyList<string> Notify) Sync(string jobType, int held, int wanted)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(held);
        ArgumentOutOfRangeException.ThrowIfNegative(wanted);
        var now = time.GetUtcNow();
        var freed = Expire(now, jobType);
        var before = _holdings.GetValueOrDefault(jobType);

        var others = 0;
        var othersWaiting = 0;
        foreach (var (type, holding) in _holdings)
        {
            if (type != jobType)
            {
                others += holding.Allowance;
                othersWaiting += holding.Waiting ? 1 : 0;
            }
        }

        if (Paused)
        {
            // What runs is honoured and nothing more is allowed; a share of 0 has the queue give back
            // any permit it does not use, so the cap is whole again on resume.
            _holdings[jobType] = new Holding(held, wanted, now);
            return (new PermitGrant(held, 0, Paused: true), []);
        }

        if (Cap is not { } cap)
        {
            _holdings[jobType] = new Holding(held, wanted, now);
            return (new PermitGrant(null, null), []);
        }

        int? share = othersWaiting > 0 ? Math.Max(1, cap / (othersWaiting + 1)) : null;
        var target = Math.Min(Math.Min(wanted, Math.Max(0, cap - others)), share ?? int.MaxValue);

        var after = new Holding(Math.Max(held, target), wanted, now);
        _holdings[jobType] = after;
        if (others + after.Allowance > cap)
        {
            // Over the cap only because the permits the queue says it holds must be honoured: its
            // holding lapsed and was given away meanwhile, or the cap was lowered. It keeps what runs,
            // but may start only what fits, and gives the rest back at its next exchange.
            share = Math.Min(share ?? int.MaxValue, target);
        }

        List<string> notify = [];
        if (freed || after.Allowance < (before?.Allowance ?? 0))
        {
            notify.AddRange(_holdings.Where(h => h.Key != jobType && h.Value.Waiting).Select(h => h.Key));
        }

        if (after.Waiting && before is not { Waiting: true })
        {
            // Queues sitting on permits give back what they do not use once they hear someone waits.
            notify.AddRange(_holdings.Where(h => h.Key != jobType && h.Value.Allowance > 0 && !notify.Contains(h.Key)).Select(h => h.Key));
        }

        return (new PermitGrant(after.Allowance, share), notify);
    }

    /// <summary>A queue stopped: frees its permits; returns the queues waiting for them.</summary>
    public IReadOnlyList<string> Release(string jobType)
    {
        if (!_holdings.Remove(jobType, out var gone) || gone.Allowance == 0)
        {
            return [];
        }

        return [.. _holdings.Where(h => h.Value.Waiting).Select(h => h.Key)];
    }

    private bool Expire(DateTimeOffset now, string keep)
    {
        var freed = false;
        foreach (var (type, holding) in _holdings)
        {
            if (type != keep && now - holding.SeenAt > holdingLifetime)
            {
                _holdings.Remove(type);
                freed |= holding.Allowance > 0;
            }
        }

        return freed;
    }

    private sealed record Holding(int Allowance, int Wanted, DateTimeOffset SeenAt)
    {
        public bool Waiting => Wanted > Allowance;
    }
}
