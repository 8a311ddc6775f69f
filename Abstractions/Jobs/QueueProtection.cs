namespace OrleansJobs;

/// <summary>
/// Lets a queue find its own concurrency: the in-flight limit falls when attempts fail or slow down
/// (the downstream is struggling) and climbs back while they succeed at their usual pace, between
/// <see cref="MinConcurrency"/> and the queue's <see cref="QueuePolicy.MaxConcurrency"/>. Additive
/// increase, multiplicative decrease on attempt latency and failures, in the spirit of Netflix's
/// concurrency-limits.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record AdaptiveConcurrencyPolicy
{
    /// <summary>False turns it off where a job type's default turned it on.</summary>
    [Id(0)] public bool Enabled { get; init; } = true;

    /// <summary>The floor the limit never goes under; 1 to 10 000, at most the queue's max concurrency (it is capped there).</summary>
    [Id(1)] public int MinConcurrency { get; init; } = 1;

    /// <summary>
    /// How many times its usual duration an attempt may take before it counts as a sign of trouble;
    /// 1.1 to 100. The usual duration is a slow moving average of the queue's attempts.
    /// </summary>
    [Id(2)] public double LatencyTolerance { get; init; } = 2.0;

    /// <summary>What the limit is multiplied by on each sign of trouble; 0.5 to 0.99.</summary>
    [Id(3)] public double Backoff { get; init; } = 0.9;
}

/// <summary>
/// Stops a queue hammering a downstream that is failing. When the share of failed attempts over
/// <see cref="SamplingWindow"/> reaches <see cref="FailureRatio"/> (with at least
/// <see cref="MinimumAttempts"/> attempts seen) the breaker opens: the queue starts nothing for
/// <see cref="BreakFor"/>, and its jobs wait without spending attempts (an attempt that fails while
/// the breaker is open is put back, not counted). Then it lets <see cref="Probes"/> attempts through
/// (half-open): if they all succeed it closes, if one fails it opens again. Only retryable failures
/// count: a job's own bad input is not the downstream's fault.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record CircuitBreakerPolicy
{
    /// <summary>False turns it off where a job type's default turned it on.</summary>
    [Id(0)] public bool Enabled { get; init; } = true;

    /// <summary>The share of failed attempts that opens the breaker; above 0, at most 1.</summary>
    [Id(1)] public double FailureRatio { get; init; } = 0.5;

    /// <summary>Fewest attempts in the window before the ratio is trusted; 1 to 100 000.</summary>
    [Id(2)] public int MinimumAttempts { get; init; } = 20;

    /// <summary>How far back failures are counted; 1 second to 1 hour.</summary>
    [Id(3)] public TimeSpan SamplingWindow { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long the breaker stays open before probing; 100 ms to 1 hour.</summary>
    [Id(4)] public TimeSpan BreakFor { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Attempts let through while half-open; 1 to 100.</summary>
    [Id(5)] public int Probes { get; init; } = 3;
}

/// <summary>Where a queue's circuit breaker stands.</summary>
public enum BreakerState
{
    /// <summary>Attempts start as the queue's limits allow (also when the queue has no breaker).</summary>
    Closed = 0,

    /// <summary>Too many attempts failed: nothing starts until the break is over.</summary>
    Open = 1,

    /// <summary>The break is over: a few probe attempts run, and decide whether it closes or opens again.</summary>
    HalfOpen = 2,
}
