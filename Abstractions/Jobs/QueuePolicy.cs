namespace OrleansJobs;

/// <summary>
/// How one queue (tenant, job type) runs. Set as an override where a null field inherits the job
/// type's default; read back as the effective policy, where null means "no limit".
/// </summary>
[GenerateSerializer, Immutable]
public sealed record QueuePolicy
{
    /// <summary>Most jobs of the queue running at once, across the cluster; 1 to 10 000.</summary>
    [Id(0)] public int? MaxConcurrency { get; init; }

    /// <summary>Most jobs started per second (a token bucket's refill rate); above 0, at most 1 000 000. Null: unlimited.</summary>
    [Id(1)] public double? RatePerSecond { get; init; }

    /// <summary>Jobs that may start back to back after a quiet spell (the bucket's size); 1 to 1 000 000. Defaults to the rate rounded up.</summary>
    [Id(2)] public int? Burst { get; init; }

    /// <summary>Most jobs waiting (scheduled or enqueued); enqueues beyond it fail with <see cref="QueueFullException"/>. Null: unbounded.</summary>
    [Id(3)] public long? MaxBacklog { get; init; }

    /// <summary>Attempts for jobs enqueued without their own; 1 to 100.</summary>
    [Id(4)] public int? MaxAttempts { get; init; }

    /// <summary>Per-attempt timeout for jobs enqueued without their own; at most 24 hours.</summary>
    [Id(5)] public TimeSpan? Timeout { get; init; }

    /// <summary>What an enqueue past <see cref="MaxBacklog"/> does. <value>Defaults to <see cref="OverflowPolicy.Reject"/>.</value></summary>
    [Id(6)] public OverflowPolicy? Overflow { get; init; }

    /// <summary>Lets the in-flight limit adapt to how the downstream copes, under <see cref="MaxConcurrency"/>. Null: inherit (off unless the job type turns it on).</summary>
    [Id(7)] public AdaptiveConcurrencyPolicy? AdaptiveConcurrency { get; init; }

    /// <summary>Stops starting attempts while most of them fail. Null: inherit (off unless the job type turns it on).</summary>
    [Id(8)] public CircuitBreakerPolicy? CircuitBreaker { get; init; }

    /// <summary>Limits per partition key inside the queue. Null: inherit (off unless the job type turns it on).</summary>
    [Id(9)] public PartitionPolicy? Partitions { get; init; }

    /// <summary>
    /// Priority aging: a due job of normal or low priority that has waited this long past its run-at moves
    /// up to high, keeping its run-at, so it runs ahead of newer high-priority jobs and low priority
    /// cannot starve under a constant stream of high. 1 second to 7 days; <see cref="TimeSpan.Zero"/>
    /// turns off what a job type turned on. Null: inherit (off unless the job type turns it on).
    /// </summary>
    [Id(10)] public TimeSpan? PriorityAging { get; init; }
}

/// <summary>What a full queue does with one more job.</summary>
public enum OverflowPolicy
{
    /// <summary>Refuse it with <see cref="QueueFullException"/>.</summary>
    Reject = 0,

    /// <summary>
    /// Make room by cancelling the queue's lowest-priority due jobs, if they are of lower priority
    /// than the new ones (their status says why); otherwise refuse it like <see cref="Reject"/>.
    /// </summary>
    ShedLowestPriority = 1,
}

/// <summary>
/// The queue is at its <see cref="QueuePolicy.MaxBacklog"/>: nothing was stored. Retry after
/// <see cref="RetryAfter"/>, the time the queue needs to drain the excess at its recent pace.
/// </summary>
[GenerateSerializer]
public sealed class QueueFullException : Exception
{
    /// <summary>Creates the error.</summary>
    public QueueFullException(string queue, long maxBacklog, TimeSpan retryAfter)
        : base($"Queue {queue} is full (max backlog {maxBacklog}); nothing was stored. Retry after {retryAfter.TotalSeconds:F0} s.")
    {
        Queue = queue;
        MaxBacklog = maxBacklog;
        RetryAfter = retryAfter;
    }

    /// <summary>The queue, as "tenant/type".</summary>
    [Id(0)] public string Queue { get; }

    /// <summary>The queue's backlog limit.</summary>
    [Id(1)] public long MaxBacklog { get; }

    /// <summary>When a retry is likely to be accepted.</summary>
    [Id(2)] public TimeSpan RetryAfter { get; }
}
