using OrleansJobs.Policies;
using OrleansJobs.Storage;

namespace OrleansJobs.Queues.Core;

/// <summary>
/// A queue's limits per partition key: how many attempts of a key run, how fast they start, how long
/// its throttled downstream asked it to wait and, when the policy says so, each key's own circuit breaker. A key's slot is held from the attempt's lease
/// until its handler ends, as the queue's own budget is. Pure: time comes from the event clock.
/// Keeps state only for keys in use, and forgets idle keys once it knows more than
/// <see cref="MaxIdleKeys"/>: memory is bounded by the attempts in flight, not by the keys ever seen.
/// </summary>
internal sealed class PartitionGate(PartitionPolicy policy, CircuitBreakerPolicy? breaker, EventClock clock)
{
    /// <summary>How many keys with nothing running the gate remembers (their rate and breaker history) before it forgets them.</summary>
    public const int MaxIdleKeys = 4096;

    private readonly Dictionary<string, KeyState> _keys = new(StringComparer.Ordinal);
    private readonly Dictionary<JobId, string> _holding = [];

    public PartitionPolicy Policy { get; } = policy;

    /// <summary>The breaker policy each key gets; null when keys have no breakers of their own.</summary>
    public CircuitBreakerPolicy? BreakerPolicy { get; } = policy.BreakerPerKey ? breaker : null;

    /// <summary>Keys whose breaker is open or probing.</summary>
    public int BreakersNotClosed => _keys.Values.Count(k => k.Breaker is { State: not BreakerState.Closed });

    /// <summary>Keys the gate holds state for.</summary>
    public int KnownKeys => _keys.Count;

    /// <summary>Attempts of <paramref name="key"/> holding a slot now.</summary>
    public int Running(string key) => _keys.TryGetValue(key, out var state) ? state.Running : 0;

    /// <summary>Whether the gate was built for these policies.</summary>
    public bool Uses(PartitionPolicy policy, CircuitBreakerPolicy? breaker) =>
        Policy == policy && BreakerPolicy == (policy.BreakerPerKey ? breaker : null);

    /// <summary>
    /// Whether one more attempt of <paramref name="key"/> may start, beyond <paramref name="picked"/> of
    /// it already chosen in this pass. When a rate or a breaker says no, <paramref name="retryAt"/> is
    /// when it may say yes; a breaker whose break is over turns half-open here (<paramref name="changed"/>).
    /// </summary>
    public bool Admits(string key, int picked, out DateTimeOffset? retryAt, out BreakerChange? changed)
    {
        retryAt = null;
        changed = null;
        if (!_keys.TryGetValue(key, out var state))
        {
            // A key not seen lately: a full bucket, a closed breaker.
            if (picked >= Policy.MaxConcurrency)
            {
                return false;
            }

            if (picked >= (Burst ?? int.MaxValue))
            {
                retryAt = clock.Now + TokensIn(picked + 1 - Burst!.Value);
                return false;
            }

            return true;
        }

        if (state.Running + picked >= Policy.MaxConcurrency)
        {
            return false;
        }

        if (state.BackoffUntil > clock.Now)
        {
            retryAt = state.BackoffUntil;
            return false;
        }

        if (state.Breaker is { } keyBreaker)
        {
            var admitted = keyBreaker.Admit(clock.Now, picked + 1, out var moved);
            changed = moved is null ? null : moved with { Key = key };
            if (admitted <= picked)
            {
                retryAt = keyBreaker.OpenUntil;
                return false;
            }
        }

        if (state.Bucket is { } bucket && bucket.Available() is var available && available <= picked)
        {
            retryAt = clock.Now + (available == 0 ? bucket.TimeUntilNextToken() : TokensIn(picked + 1 - available));
            return false;
        }

        return true;
    }

    /// <summary>An attempt of <paramref name="key"/> admitted by <see cref="Admits"/> begins: it takes the key's slot and token.</summary>
    public void Began(JobId id, string key)
    {
        var state = StateOf(key);
        state.Running++;
        state.Bucket?.TakeUpTo(1);
        state.Breaker?.Began(id);
        _holding.Add(id, key);
    }

    /// <summary>The key's downstream throttled it: none of its attempts start before <paramref name="until"/> (a later throttle wins).</summary>
    public void BackOff(string key, DateTimeOffset until)
    {
        var state = StateOf(key);
        if (!(state.BackoffUntil >= until))
        {
            state.BackoffUntil = until;
        }
    }

    /// <summary>The attempt's handler ended: its key's slot is free. Returns the key's breaker, if it has one, for the attempt's verdict.</summary>
    public CircuitBreaker? HandlerEnded(JobId id)
    {
        if (!_holding.Remove(id, out var key) || !_keys.TryGetValue(key, out var state))
        {
            return null;
        }

        state.Running--;
        return state.Breaker;
    }

    /// <summary>The key <paramref name="id"/>'s attempt counts under, while it holds a slot.</summary>
    public string? KeyOf(JobId id) => _holding.GetValueOrDefault(id);

    /// <summary>The attempt ended without its handler running (a refused lease, an insert not stored): its slot and any probe place go back.</summary>
    public void EndedWithoutRunning(JobId id)
    {
        if (_holding.GetValueOrDefault(id) is { } key && _keys.TryGetValue(key, out var state))
        {
            state.Breaker?.Forget(id);
        }

        HandlerEnded(id);
    }

    /// <summary>Whether one attempt of <paramref name="key"/> could start now. Changes nothing, unlike <see cref="Admits"/>.</summary>
    public bool CouldStart(string key)
    {
        if (!_keys.TryGetValue(key, out var state))
        {
            return true;
        }

        if (state.BackoffUntil > clock.Now)
        {
            return false;
        }

        var breakerLets = state.Breaker switch
        {
            null or { State: BreakerState.Closed } => true,
            { State: BreakerState.Open } open => open.OpenUntil <= clock.Now,
            { } probing => probing.ProbesFree > 0,
        };
        return state.Running < Policy.MaxConcurrency && breakerLets && (state.Bucket is null || state.Bucket.Available() >= 1);
    }

    /// <summary>
    /// When a key that cannot start now may start by time alone: its throttle's back-off, its break or its
    /// rate. Null when it can start now, or when it waits for attempts in flight (whose ends pump the queue).
    /// Early rather than late: the pump weighs the key again when it comes.
    /// </summary>
    public DateTimeOffset? ReopensAt(string key)
    {
        if (!_keys.TryGetValue(key, out var state) || state.Running >= Policy.MaxConcurrency
            || state.Breaker is { State: BreakerState.HalfOpen, ProbesFree: 0 })
        {
            return null;
        }

        var now = clock.Now;
        var at = now;
        if (state.BackoffUntil is { } backoff && backoff > at)
        {
            at = backoff;
        }

        if (state.Breaker is { State: BreakerState.Open, OpenUntil: { } breakEnds } && breakEnds > at)
        {
            at = breakEnds;
        }

        if (state.Bucket?.TimeUntilNextToken() is { } wait && now + wait > at)
        {
            at = now + wait;
        }

        return at > now ? at : null;
    }

    /// <summary>About how long the key's rate takes to add <paramref name="tokens"/> tokens; early rather than late.</summary>
    private TimeSpan TokensIn(int tokens) => TimeSpan.FromSeconds(Math.Max(0, tokens - 1) / Policy.RatePerSecond!.Value);

    private int? Burst => Policy.RatePerSecond is { } rate ? Policy.Burst ?? (int)Math.Max(1, Math.Ceiling(rate)) : null;

    private KeyState StateOf(string key)
    {
        if (!_keys.TryGetValue(key, out var state))
        {
            ForgetIdleKeysIfMany();
            state = new KeyState(
                Policy.RatePerSecond is { } rate ? new TokenBucket(rate, Burst ?? 1, clock) : null,
                BreakerPolicy is { } breakerPolicy ? new CircuitBreaker(breakerPolicy) : null);
            _keys.Add(key, state);
        }

        return state;
    }

    private void ForgetIdleKeysIfMany()
    {
        if (_keys.Count < MaxIdleKeys + _holding.Count)
        {
            return;
        }

        // Amortized: after a sweep only keys with attempts in flight or a break still running are left,
        // so the next sweep is about MaxIdleKeys new keys away. A break that is over is forgotten as
        // closed: the key's next failures open it again.
        foreach (var (key, state) in _keys)
        {
            if (state.Running == 0 && !(state.BackoffUntil > clock.Now)
                && (state.Breaker is null or { State: BreakerState.Closed } || state.Breaker.OpenUntil <= clock.Now))
            {
                _keys.Remove(key);
            }
        }
    }

    private sealed class KeyState(TokenBucket? bucket, CircuitBreaker? breaker)
    {
        public int Running { get; set; }

        /// <summary>Until when the key's downstream asked it to wait (a throttle); null when it did not.</summary>
        public DateTimeOffset? BackoffUntil { get; set; }

        public TokenBucket? Bucket { get; } = bucket;

        public CircuitBreaker? Breaker { get; } = breaker;
    }
}
