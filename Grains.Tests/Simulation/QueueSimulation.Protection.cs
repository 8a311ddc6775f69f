using OrleansJobs.Policies;
using OrleansJobs.Queues.Core;

namespace OrleansJobs.Tests.Simulation;

/// <summary>
/// Adaptive concurrency and the circuit breaker under simulation: some seeds give the queue either or
/// both, and their downstream goes through outages in which most attempts fail. Drawn from a stream of
/// their own, so seeds without them replay as before.
/// </summary>
internal sealed partial class QueueSimulation
{
    private Random _protection = null!;
    private bool _protected;

    /// <summary>When a person pauses and resumes the whole tenant: a stream of its own, so other seeds replay as before.</summary>
    private Random _tenantPauses = null!;

    /// <summary>The last permit grant the queue received says its tenant is paused.</summary>
    private bool _holdsPausedGrant;

    /// <summary>The queue heard of the tenant's current pause (the notice the tenant waits for).</summary>
    private bool _pauseNoticed;

    /// <summary>Whether the downstream is failing most attempts now.</summary>
    private bool _outage;

    /// <summary>The breaker's state as the core last reported it to operators.</summary>
    private BreakerState _breakerReported;

    /// <summary>Jobs leased while the breaker reported half-open since it last turned half-open or closed: its probes.</summary>
    private readonly HashSet<JobId> _probes = [];

    private void ChooseProtection(int seed)
    {
        _tenantPauses = new Random(seed ^ 0x1B873593);
        _protection = new Random(seed ^ 0x68E31DA4);
        var adaptive = _protection.Next(3) == 0;
        var breaker = _protection.Next(3) == 0;
        _protected = adaptive || breaker;
        _policy = _policy with
        {
            Adaptive = adaptive ? new AdaptiveConcurrencyPolicy { MinConcurrency = _protection.Next(1, 3), Backoff = 0.5 + (_protection.NextDouble() * 0.45) } : null,
            Breaker = breaker ? DrawBreaker() : null,
        };
    }

    private CircuitBreakerPolicy DrawBreaker() => new()
    {
        FailureRatio = 0.2 + (_protection.NextDouble() * 0.5),
        MinimumAttempts = _protection.Next(2, 12),
        SamplingWindow = TimeSpan.FromSeconds(_protection.Next(1, 10)),
        BreakFor = TimeSpan.FromMilliseconds(_protection.Next(100, 4000)),
        Probes = _protection.Next(1, 4),
    };

    /// <summary>Each step, now and then, the downstream fails or recovers.</summary>
    private void MaybeToggleOutage()
    {
        if (_protected && _protection.Next(300) == 0)
        {
            _outage = !_outage;
            Note(_outage ? "downstream outage begins" : "downstream recovers");
        }
    }

    /// <summary>Now and then a person pauses the whole tenant, or resumes it; the pool tells the queues it knows.</summary>
    private void MaybeToggleTenantPause()
    {
        if (_tenantPauses.Next(1500) != 0)
        {
            return;
        }

        var paused = !_permits.Paused;
        Note(paused ? "tenant paused" : "tenant resumed");
        var queues = _permits.SetPaused(paused);
        if (!paused)
        {
            _pauseNoticed = false;
            Notify(queues);
        }
        else if (queues.Contains(QueueName))
        {
            // The tenant waits for the queue to hear it; from then on nothing may start until a grant says otherwise.
            _pending.Add(new Operation("tenant paused", null, () => Event("tenant paused", () =>
            {
                _holdsPausedGrant = _pauseNoticed = true;
                _core.TenantPaused(_now);
            }), _now));
        }
    }

    /// <summary>
    /// A grant reached the queue: while the last one says the tenant is paused, nothing may start; nor
    /// after the queue heard of the current pause, whatever an answer sent before it says. Before it
    /// heard, an answer sent before the pause may still start jobs: the pause has not returned yet.
    /// </summary>
    private void GrantDelivered(OrleansJobs.Grains.PermitGrant grant) => _holdsPausedGrant = grant.Paused || (_pauseNoticed && _permits.Paused);

    /// <summary>During an outage most attempts fail with a retryable error, before the handler's usual roll.</summary>
    private Exception? OutageError() => _outage && _protection.Next(10) < 7 ? new TimeoutException("downstream down") : null;

    /// <summary>A person turns the breaker on, off or to new settings now and then; the new one starts closed.</summary>
    private EffectiveQueuePolicy ChangeProtection(EffectiveQueuePolicy policy)
    {
        if (!_protected || _protection.Next(4) != 0)
        {
            return policy;
        }

        // A new breaker policy gives every key a new, closed breaker too.
        _breakerReported = BreakerState.Closed;
        _keyBreakers.Clear();
        return policy with { Breaker = policy.Breaker is null ? DrawBreaker() : null };
    }

    /// <summary>What the core tells operators must follow the breaker's cycle: closed, open, half-open, then closed or open.</summary>
    private void BreakerReported(BreakerChange change)
    {
        var allowed = (_breakerReported, change.State) switch
        {
            (BreakerState.Closed, BreakerState.Open) => true,
            (BreakerState.Open, BreakerState.HalfOpen) => true,
            (BreakerState.HalfOpen, BreakerState.Open or BreakerState.Closed) => true,
            (_, BreakerState.Closed) => _core.Breaker is null || _core.Breaker.State == BreakerState.Closed,
            _ => false,
        };
        if (!allowed)
        {
            Fail($"the breaker was reported moving from {_breakerReported} to {change.State}");
        }

        _breakerReported = change.State;
        if (change.State != BreakerState.Open)
        {
            _probes.Clear();
        }
    }

    /// <summary>Leases asked for while half-open are the breaker's probes.</summary>
    private void NoteProbes(LeaseJobs lease)
    {
        if (_breakerReported == BreakerState.HalfOpen)
        {
            _probes.UnionWith(lease.Requests.Select(r => r.Id));
        }
    }

    /// <summary>Attempts start now: never while the breaker is open, never above the adaptive limit.</summary>
    private void CheckProtectedStarts(int started)
    {
        if (started == 0)
        {
            return;
        }

        if (_holdsPausedGrant)
        {
            Fail($"{started} attempt(s) started although the queue's last grant says its tenant is paused");
        }

        if (_breakerReported == BreakerState.Open)
        {
            Fail($"{started} attempt(s) started while the circuit breaker is open");
        }

        if (_core.Attempts.InBudget > _core.ConcurrencyLimit)
        {
            Fail($"{_core.Attempts.InBudget} attempts in flight after starting {started}, over the adaptive limit of {_core.ConcurrencyLimit}");
        }
    }

    /// <summary>Only a failure while the breaker is open is put back without spending its attempt.</summary>
    private void CheckHeld(AttemptOutcome outcome)
    {
        if (outcome is HeldByBreaker h && BreakerOver(h.Write.Id) is var state && state != BreakerState.Open)
        {
            Fail($"an attempt was held by the breaker while it was {state}");
        }

        if (outcome is HeldByBreaker held && _probes.Contains(held.Write.Id))
        {
            Fail($"probe {Short(held.Write.Id)} failed and was put back without spending its attempt");
        }
    }

    private void CheckLimit()
    {
        if (_core.Limiter is { } limiter && (limiter.Limit < limiter.Min || limiter.Limit > limiter.Max))
        {
            Fail($"the adaptive limit {limiter.Limit} is outside {limiter.Min}..{limiter.Max}");
        }
    }
}
