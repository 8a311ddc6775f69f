using OrleansJobs.Storage;

namespace OrleansJobs.Queues.Core;

/// <summary>How one ended attempt counts for the breaker.</summary>
internal enum BreakerVerdict
{
    /// <summary>Not the downstream's doing either way (a snooze, a cancel, bad input, a lost attempt).</summary>
    Ignored,

    Succeeded,

    Failed,
}

/// <summary>
/// A queue's circuit breaker: closed, it counts attempts and failures over the sampling window and
/// opens when the failure ratio reaches the threshold; open, it lets nothing start until the break
/// is over; half-open, it lets a few probes start and closes once they all succeed, or opens again on
/// the first that fails. Pure: time comes in with each call.
/// </summary>
internal sealed class CircuitBreaker(CircuitBreakerPolicy policy)
{
    private readonly FailureWindow _window = new(policy.SamplingWindow);
    // Kept until each probe ends, across the breaker's moves: a probe always spends its attempt, so
    // an outage that never ends still moves its jobs toward the dead-letter queue, a few per break.
    private readonly HashSet<JobId> _probes = [];
    private int _probesPassed;

    public CircuitBreakerPolicy Policy { get; } = policy;

    public BreakerState State { get; private set; } = BreakerState.Closed;

    /// <summary>While open: when the break ends.</summary>
    public DateTimeOffset? OpenUntil { get; private set; }

    /// <summary>
    /// How many of <paramref name="wanted"/> attempts may start now. An open breaker whose break is
    /// over turns half-open here (returned in <paramref name="changed"/>).
    /// </summary>
    public int Admit(DateTimeOffset now, int wanted, out BreakerChange? changed)
    {
        changed = null;
        if (State == BreakerState.Open && now >= OpenUntil)
        {
            State = BreakerState.HalfOpen;
            OpenUntil = null;
            _probesPassed = 0;
            changed = Change(now);
        }

        return State switch
        {
            BreakerState.Closed => wanted,
            BreakerState.HalfOpen => Math.Min(wanted, ProbesFree),
            _ => 0,
        };
    }

    /// <summary>While half-open: how many more probes may start.</summary>
    public int ProbesFree => Math.Max(0, Policy.Probes - _probesPassed - _probes.Count);

    /// <summary>An attempt admitted by <see cref="Admit"/> begins; while half-open it is a probe.</summary>
    public void Began(JobId id)
    {
        if (State == BreakerState.HalfOpen)
        {
            _probes.Add(id);
        }
    }

    /// <summary>
    /// An attempt ended. Returns the change it caused, if any; <paramref name="wasProbe"/> says whether
    /// it was one of the half-open probes.
    /// </summary>
    public BreakerChange? Ended(DateTimeOffset now, JobId id, BreakerVerdict verdict, out bool wasProbe)
    {
        wasProbe = _probes.Remove(id);
        if (verdict == BreakerVerdict.Ignored)
        {
            return null;
        }

        switch (State)
        {
            case BreakerState.Closed:
                _window.Add(now, verdict == BreakerVerdict.Failed);
                var (attempts, failures) = _window.Count(now);
                return attempts >= Policy.MinimumAttempts && failures >= Policy.FailureRatio * attempts ? Open(now) : null;
            case BreakerState.HalfOpen when wasProbe:
                return verdict == BreakerVerdict.Failed ? Open(now) : ProbePassed(now);
            default:
                // Attempts begun before it opened that end while it is open or probing say nothing new.
                return null;
        }
    }

    /// <summary>An attempt ended without running (its lease was refused or failed): a probe's place is free again.</summary>
    public void Forget(JobId id) => _probes.Remove(id);

    private BreakerChange Open(DateTimeOffset now)
    {
        State = BreakerState.Open;
        OpenUntil = now + Policy.BreakFor;
        _probesPassed = 0;
        return Change(now);
    }

    private BreakerChange? ProbePassed(DateTimeOffset now)
    {
        if (++_probesPassed < Policy.Probes)
        {
            return null;
        }

        var change = Change(now) with { State = BreakerState.Closed };
        State = BreakerState.Closed;
        _probesPassed = 0;
        _window.Clear();
        return change;
    }

    private BreakerChange Change(DateTimeOffset now)
    {
        var (attempts, failures) = _window.Count(now);
        return new BreakerChange(State, OpenUntil, attempts, failures);
    }
}

/// <summary>
/// The breaker moved to <paramref name="State"/>; the counts are the sampling window's when it did.
/// <paramref name="Key"/> names the partition key whose own breaker it is; null for the queue's.
/// </summary>
internal sealed record BreakerChange(BreakerState State, DateTimeOffset? OpenUntil, int Attempts, int Failures, string? Key = null);
