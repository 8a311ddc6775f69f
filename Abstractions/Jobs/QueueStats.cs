namespace OrleansJobs;

/// <summary>One queue's health at a glance: what it holds, how fast it moves, and how long its backlog will take.</summary>
[GenerateSerializer, Immutable]
public sealed record QueueStats
{
    /// <summary>The tenant.</summary>
    [Id(0)] public required string Tenant { get; init; }

    /// <summary>The job type.</summary>
    [Id(1)] public required string JobType { get; init; }

    /// <summary>Jobs waiting for their time (delayed, or a retry).</summary>
    [Id(2)] public long Scheduled { get; init; }

    /// <summary>Jobs due and waiting for a handler: the backlog.</summary>
    [Id(3)] public long Enqueued { get; init; }

    /// <summary>Jobs with an attempt running.</summary>
    [Id(4)] public long Active { get; init; }

    /// <summary>Jobs that succeeded (kept until retention removes them).</summary>
    [Id(5)] public long Succeeded { get; init; }

    /// <summary>Jobs in the dead-letter queue.</summary>
    [Id(6)] public long DeadLettered { get; init; }

    /// <summary>How long the oldest due job has waited; null when none waits.</summary>
    [Id(7)] public TimeSpan? OldestWaiting { get; init; }

    /// <summary>Jobs finished per second over the last ten seconds, on the queue's owner.</summary>
    [Id(8)] public double CompletedPerSecond { get; init; }

    /// <summary>Backlog divided by the recent completion rate; null when nothing finished lately and work waits.</summary>
    [Id(9)] public TimeSpan? DrainTime { get; init; }

    /// <summary>
    /// Until when the queue starts none of its jobs because a handler reported its downstream
    /// throttled it (<see cref="DownstreamThrottledException"/>); null when it is not backing off.
    /// </summary>
    [Id(10)] public DateTimeOffset? BackingOffUntil { get; init; }

    /// <summary>A person paused the queue: it takes jobs (up to its backlog limit) and starts none until resumed.</summary>
    [Id(11)] public bool Paused { get; init; }

    /// <summary>
    /// Most attempts the queue runs at once now: its max concurrency, or below it while adaptive
    /// concurrency has lowered it (<see cref="QueuePolicy.AdaptiveConcurrency"/>).
    /// </summary>
    [Id(12)] public int ConcurrencyLimit { get; init; }

    /// <summary>Where the queue's circuit breaker stands (<see cref="BreakerState.Closed"/> when it has none).</summary>
    [Id(13)] public BreakerState Breaker { get; init; }

    /// <summary>While the breaker is open: when it lets its probes through.</summary>
    [Id(14)] public DateTimeOffset? BreakerOpenUntil { get; init; }

    /// <summary>A person paused the queue's whole tenant (the client's <c>PauseTenantAsync</c>): it takes jobs and starts none.</summary>
    [Id(15)] public bool TenantPaused { get; init; }

    /// <summary>With a breaker per partition key: how many keys' breakers are open or probing now (their jobs wait; other keys run).</summary>
    [Id(16)] public int KeyBreakersOpen { get; init; }

    /// <summary>When the queue's owner last finished a job (succeeded, dead-lettered or cancelled while running); null when it has not since it started. Tells an idle queue from a stuck one when the pace reads zero.</summary>
    [Id(17)] public DateTimeOffset? LastFinishedAt { get; init; }

    /// <summary>Failed attempts scheduled to try again, per second over the last ten seconds, on the queue's owner.</summary>
    [Id(18)] public double RetriesPerSecond { get; init; }
}
