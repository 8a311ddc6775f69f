using OrleansJobs.Handlers;

namespace OrleansJobs.Policies;

/// <summary>A queue's policy with every value resolved: its override first, then its job type's defaults.</summary>
internal sealed record EffectiveQueuePolicy(int MaxConcurrency, double? RatePerSecond, int Burst, long? MaxBacklog, int MaxAttempts, TimeSpan Timeout, OverflowPolicy Overflow)
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
            queueOverride?.Overflow ?? type.Defaults.Overflow ?? OverflowPolicy.Reject);
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
    };
}
