namespace OrleansJobs.Policies;

/// <summary>
/// A token bucket: holds up to <see cref="Burst"/> tokens, refilled continuously at
/// <see cref="RatePerSecond"/>; each job started takes one. It starts full. Time comes from the
/// injected <see cref="TimeProvider"/>, so tests drive it with a fake clock. Not thread-safe: one
/// queue grain owns each bucket.
/// </summary>
public sealed class TokenBucket
{
    /// <summary>
    /// Tokens this close below a whole one count as it. Refills add fractions in floating point, which can
    /// leave a bucket a hair short of a token it has earned; without the slack it would say no token is
    /// there while the wait for one rounds to nothing, and a timer armed for that wait would wake to no token.
    /// </summary>
    private const double Slack = 1e-9;

    private readonly TimeProvider _time;
    private double _tokens;
    private long _refilledAt;

    /// <summary>Creates a full bucket.</summary>
    public TokenBucket(double ratePerSecond, int burst, TimeProvider time)
    {
        if (!(ratePerSecond > 0) || double.IsInfinity(ratePerSecond) || burst < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(ratePerSecond), $"A token bucket needs a rate above zero and a burst of at least 1 (got {ratePerSecond}/s, burst {burst}).");
        }

        RatePerSecond = ratePerSecond;
        Burst = burst;
        _time = time;
        _tokens = burst;
        _refilledAt = time.GetTimestamp();
    }

    /// <summary>Tokens added per second.</summary>
    public double RatePerSecond { get; }

    /// <summary>Most tokens held at once: how many jobs may start back to back after a quiet spell.</summary>
    public int Burst { get; }

    /// <summary>Takes as many whole tokens as are available, up to <paramref name="wanted"/>; returns how many.</summary>
    public int TakeUpTo(int wanted)
    {
        Refill();
        var taken = (int)Math.Min(wanted, Whole);
        _tokens = Math.Max(0, _tokens - taken);
        return taken;
    }

    /// <summary>How many whole tokens could be taken now, without taking them.</summary>
    public int Available()
    {
        Refill();
        return (int)Math.Min(int.MaxValue, Whole);
    }

    /// <summary>How long until one whole token is available: zero if one is, else at least a tick, rounded up so the token is there when it has passed.</summary>
    public TimeSpan TimeUntilNextToken()
    {
        Refill();
        return Whole >= 1
            ? TimeSpan.Zero
            : TimeSpan.FromTicks(Math.Max(1, (long)Math.Ceiling((1 - _tokens - Slack) / RatePerSecond * TimeSpan.TicksPerSecond)));
    }

    private double Whole => Math.Floor(_tokens + Slack);

    private void Refill()
    {
        var now = _time.GetTimestamp();
        _tokens = Math.Min(Burst, _tokens + (_time.GetElapsedTime(_refilledAt, now).TotalSeconds * RatePerSecond));
        _refilledAt = now;
    }
}
