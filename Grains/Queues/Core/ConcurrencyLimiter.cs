namespace OrleansJobs.Queues.Core;

/// <summary>
/// A queue's adaptive in-flight limit: additive increase while attempts succeed at their usual pace
/// and the queue uses its limit, multiplicative decrease on each failure and while recent attempts run
/// well over their usual duration (a downstream slowing down is the first sign of the storm to come).
/// Pure: durations come in with each ended attempt.
/// </summary>
internal sealed class ConcurrencyLimiter
{
    // The usual duration moves slowly (about the last 200 successes), the recent one fast (about the
    // last 8 attempts), so one slow job is noise and a slow run of them is a signal.
    private const double UsualWeight = 1.0 / 200;
    private const double RecentWeight = 1.0 / 8;

    // Too few samples say nothing about what is usual.
    private const int WarmUp = 20;

    private readonly AdaptiveConcurrencyPolicy _policy;
    private double _limit;
    private double _usualSeconds;
    private double _recentSeconds;
    private int _samples;

    public ConcurrencyLimiter(AdaptiveConcurrencyPolicy policy, int max)
    {
        _policy = policy;
        Max = max;
        _limit = max;
    }

    /// <summary>The queue's configured max concurrency: the ceiling.</summary>
    public int Max { get; private set; }

    /// <summary>The floor, capped by the ceiling.</summary>
    public int Min => Math.Min(_policy.MinConcurrency, Max);

    /// <summary>Most attempts the queue may have in flight now.</summary>
    public int Limit => Math.Clamp((int)_limit, Min, Max);

    /// <summary>The usual duration of a successful attempt, once enough have been seen.</summary>
    public TimeSpan? Usual => _samples >= WarmUp ? TimeSpan.FromSeconds(_usualSeconds) : null;

    public bool Uses(AdaptiveConcurrencyPolicy policy) => _policy == policy;

    /// <summary>A person changed the queue's max concurrency: the limit keeps its place under the new ceiling.</summary>
    public void Resize(int max)
    {
        Max = max;
        _limit = Math.Clamp(_limit, Min, Max);
    }

    /// <summary>
    /// An attempt ended after <paramref name="duration"/>, failed or not, with <paramref name="inFlight"/>
    /// attempts still in flight. Returns whether the limit moved.
    /// </summary>
    public bool Ended(TimeSpan duration, bool failed, int inFlight)
    {
        var before = Limit;
        var seconds = Math.Max(duration.TotalSeconds, 0);
        _recentSeconds = _samples == 0 ? seconds : _recentSeconds + (RecentWeight * (seconds - _recentSeconds));
        if (!failed)
        {
            // Failures keep out of the usual duration: a timeout's long wait or a refused call's
            // instant one says nothing about how long the work takes.
            _usualSeconds = _samples == 0 ? seconds : _usualSeconds + (UsualWeight * (seconds - _usualSeconds));
            _samples++;
        }

        var slow = _samples >= WarmUp && _recentSeconds > _usualSeconds * _policy.LatencyTolerance;
        if (failed || slow)
        {
            _limit = Math.Max(Min, _limit * _policy.Backoff);
        }
        else if (inFlight * 2 >= Limit)
        {
            // Only a queue that uses its limit learns it can have more; an idle one would climb to
            // the ceiling and then flood the downstream the moment work arrives.
            _limit = Math.Min(Max, _limit + 1);
        }

        return Limit != before;
    }
}
