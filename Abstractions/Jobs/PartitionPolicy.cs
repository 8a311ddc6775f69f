namespace OrleansJobs;

/// <summary>
/// Limits that hold per partition key inside one queue, so one customer or one endpoint cannot take
/// all of the queue's (and its tenant's) slots. A job names its key with
/// <see cref="EnqueueOptions.PartitionKey"/>; jobs without one share the empty key. The queue's own
/// <see cref="QueuePolicy.MaxConcurrency"/> and rate still cap all keys together, and the queue
/// takes turns across keys, so a key with a deep backlog does not hold back a key with one job.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record PartitionPolicy
{
    /// <summary>False turns it off where a job type's default turned it on.</summary>
    [Id(0)] public bool Enabled { get; init; } = true;

    /// <summary>Most attempts of one key running at once; 1 to 10 000.</summary>
    [Id(1)] public int MaxConcurrency { get; init; } = 1;

    /// <summary>Most attempts of one key started per second; above 0, at most 1 000 000. Null: no rate per key.</summary>
    [Id(2)] public double? RatePerSecond { get; init; }

    /// <summary>Attempts of one key that may start back to back under <see cref="RatePerSecond"/>; 1 to 1 000 000. Defaults to the rate rounded up.</summary>
    [Id(3)] public int? Burst { get; init; }

    /// <summary>
    /// Gives each key its own circuit breaker, built from the queue's
    /// <see cref="QueuePolicy.CircuitBreaker"/> (and only when it has one): a failing endpoint stops
    /// its own jobs and no one else's, and the queue's breaker stays closed.
    /// </summary>
    [Id(4)] public bool BreakerPerKey { get; init; }
}
