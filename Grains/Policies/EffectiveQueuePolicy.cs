using OrleansJobs.Handlers;

namespace OrleansJobs.Policies;

/// <summary>A queue's policy with every value resolved: its override first, then its job type's defaults.</summary>
/// <param name="MaxConcurrency">Most attempts in flight at once (the ceiling, when the limit adapts).</param>
/// <param name="RatePerSecond">Most starts per second; null when not rate-limited.</param>
/// <param name="Burst">Starts allowed back to back under the rate.</param>
/// <param name="MaxBacklog">Most jobs waiting; null when unbounded.</param>
/// <param name="MaxAttempts">Attempts for jobs enqueued without their own.</param>
/// <param name="Timeout">Per-attempt timeout for jobs enqueued without their own.</param>
/// <param name="Overflow">What an enqueue past the backlog limit does.</param>
/// <param name="Adaptive">How the in-flight limit adapts under <paramref name="MaxConcurrency"/>; null when it does not.</param>
/// <param name="Breaker">The queue's circuit breaker; null when it has none.</param>
/// <param name="Partitions">The limits per partition key; null when the queue has none.</param>
/// <param name="PriorityAging">How long a due job below high priority waits before it moves up to high; null when jobs keep their priority.</param>
internal sealed record EffectiveQueuePolicy(
    int MaxConcurrency,
    double? RatePerSecond,
    int Burst,
    long? MaxBacklog,
    int MaxAttempts,
    TimeSpan Timeout,
    OverflowPolicy Overflow,
    AdaptiveConcurrencyPolicy? Adaptive = null,
    CircuitBreakerPolicy? Breaker = null,
    PartitionPolicy? Partitions = null,
    TimeSpan? PriorityAging = null)
{
    public static EffectiveQueuePolicy Resolve(JobTypeRegistration type, QueuePolicy? queueOverride)
    {
        var rate = queueOverride?.RatePerSecond ?? type.Defaults.RatePerSecond;
        return new EffectiveQueuePolicy(
            queueOverride?.MaxConcurrency ?? type.Defaults.MaxConcurrency ?? 1,
            rate,
            queueOverride?.Burst ?? type.Defaults.Burst ?? (int)Math.Max(1, Math.Ceiling(rate ?? 1)),
            queueOverride?.MaxBacklog ?? type.Defaults.MaxBacklog,
            queueOverride?.MaxAttempts ?? type.Defaults.MaxAttempts ?? 1,
            queueOverride?.Timeout ?? type.Defaults.Timeout ?? TimeSpan.FromMinutes(5),
            queueOverride?.Overflow ?? type.Defaults.Overflow ?? OverflowPolicy.Reject,
            (queueOverride?.AdaptiveConcurrency ?? type.Defaults.AdaptiveConcurrency) is { Enabled: true } adaptive ? adaptive : null,
            (queueOverride?.CircuitBreaker ?? type.Defaults.CircuitBreaker) is { Enabled: true } breaker ? breaker : null,
            (queueOverride?.Partitions ?? type.Defaults.Partitions) is { Enabled: true } partitions ? partitions : null,
            (queueOverride?.PriorityAging ?? type.Defaults.PriorityAging) is { } aging && aging > TimeSpan.Zero ? aging : null);
    }

    /// <summary>A token bucket for the rate, or null when the queue is not rate-limited.</summary>
    public TokenBucket? CreateBucket(TimeProvider time) => RatePerSecond is { } rate ? new TokenBucket(rate, Burst, time) : null;

    public QueuePolicy ToQueuePolicy() => new()
    {
        MaxConcurrency = MaxConcurrency,
        RatePerSecond = RatePerSecond,
        Burst = RatePerSecond is null ? null : Burst,
        MaxBacklog = MaxBacklog,
        MaxAttempts = MaxAttempts,
        Timeout = Timeout,
        Overflow = Overflow,
        AdaptiveConcurrency = Adaptive,
        CircuitBreaker = Breaker,
        Partitions = Partitions,
        PriorityAging = PriorityAging,
    };
}
