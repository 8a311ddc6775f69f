namespace OrleansJobs;

/// <summary>Per-job settings for an enqueue. Every property is optional.</summary>
[GenerateSerializer, Immutable]
public sealed record EnqueueOptions
{
    /// <summary>Run no earlier than this time. Exclusive with <see cref="Delay"/>.</summary>
    [Id(0)] public DateTimeOffset? RunAt { get; init; }

    /// <summary>Run no earlier than this long after the job is stored. Must not be negative.</summary>
    [Id(1)] public TimeSpan? Delay { get; init; }

    /// <summary>Order among the queue's due jobs. <value>Defaults to <see cref="JobPriority.Normal"/>.</value></summary>
    [Id(2)] public JobPriority Priority { get; init; } = JobPriority.Normal;

    /// <summary>Attempts before the job is dead-lettered, 1 to 100. <value>Defaults to the job type's setting.</value></summary>
    [Id(3)] public int? MaxAttempts { get; init; }

    /// <summary>How long one attempt may run before its cancellation token fires. <value>Defaults to the job type's setting.</value></summary>
    [Id(4)] public TimeSpan? Timeout { get; init; }

    /// <summary>
    /// A key unique per tenant: while it is retained, enqueueing again with the same key returns the
    /// first job's id and stores nothing. Up to 200 printable ASCII characters.
    /// </summary>
    [Id(5)] public string? IdempotencyKey { get; init; }

    /// <summary>
    /// How long after the job ends its <see cref="IdempotencyKey"/> keeps answering with it, 0 to 30
    /// days; meanwhile, and while the job waits or runs, another job with the key is not stored.
    /// <see cref="TimeSpan.Zero"/> makes the job unique only while it waits or runs. Needs a key.
    /// <value>Defaults to the silo's <c>IdempotencyRetention</c> (24 hours).</value>
    /// </summary>
    [Id(6)] public TimeSpan? IdempotencyRetention { get; init; }

    /// <summary>
    /// The key the queue's <see cref="QueuePolicy.Partitions"/> limits count this job under (a customer,
    /// an endpoint host): jobs of one key share its in-flight limit, rate and, if the policy says so,
    /// its circuit breaker. Up to 200 printable ASCII characters. Ignored by a queue without partitions.
    /// </summary>
    [Id(7)] public string? PartitionKey { get; init; }

    /// <summary>
    /// How the <see cref="IdempotencyKey"/> folds enqueues together. <value>Defaults to
    /// <see cref="DedupMode.Idempotent"/>.</value> The other modes need <see cref="DedupWindow"/>.
    /// </summary>
    [Id(8)] public DedupMode Dedup { get; init; }

    /// <summary>The window of <see cref="DedupMode.Throttle"/> or <see cref="DedupMode.Debounce"/>, 1 second to 30 days.</summary>
    [Id(9)] public TimeSpan? DedupWindow { get; init; }
}

/// <summary>How enqueues with one idempotency key fold together.</summary>
public enum DedupMode
{
    /// <summary>
    /// Enqueue-safe and unique: while the key's job waits or runs, and for its
    /// <see cref="EnqueueOptions.IdempotencyRetention"/> after it ends, an enqueue with the key stores
    /// nothing and answers with that job.
    /// </summary>
    Idempotent = 0,

    /// <summary>
    /// The first wins: for <see cref="EnqueueOptions.DedupWindow"/> from the first job's enqueue, an
    /// enqueue with the key stores nothing and answers with it, whatever its state; after the window
    /// the next enqueue makes a new job, even while the first still waits or runs.
    /// </summary>
    Throttle = 1,

    /// <summary>
    /// The last wins, and runs once: the job waits <see cref="EnqueueOptions.DedupWindow"/>; an enqueue
    /// with the key while it waits replaces its payload and starts the wait again, answering with the
    /// same job. Once the job is due, the next enqueue makes a new job.
    /// </summary>
    Debounce = 2,
}
