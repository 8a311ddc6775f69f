namespace OrleansJobs.Storage;

/// <summary>
/// A job to insert. <see cref="State"/> is <see cref="JobState.Active"/> when the queue starts it at
/// once (<see cref="Start"/>), <see cref="JobState.Scheduled"/> when it is not yet due, else
/// <see cref="JobState.Enqueued"/>. Its <see cref="IdempotencyKey"/> names it for
/// <see cref="IdempotencyRetention"/> after it ends (and at least that long after it is made): a
/// later job with the key is refused and answered with this one's id while the job waits, runs or
/// ended less than that ago. <see cref="PartitionKey"/> is the key its queue's per-key limits count
/// it under: the job's own, or the empty key when its queue has partitions and the job named none.
/// <see cref="KeyMode"/> says how its key folds later enqueues (for throttle and debounce,
/// <see cref="IdempotencyRetention"/> is the window).
/// </summary>
public sealed record NewJob(
    JobId Id,
    QueueKey Queue,
    byte[] Payload,
    JobPriority Priority,
    DateTimeOffset CreatedAt,
    DateTimeOffset RunAt,
    int MaxAttempts,
    TimeSpan Timeout,
    string? IdempotencyKey,
    TimeSpan? IdempotencyRetention,
    string? TraceParent = null,
    ImmediateStart? Start = null,
    string? PartitionKey = null,
    DedupMode KeyMode = DedupMode.Idempotent)
{
    /// <summary>The state the job is stored in.</summary>
    public JobState State => Start is not null ? JobState.Active : RunAt > CreatedAt ? JobState.Scheduled : JobState.Enqueued;

    /// <summary>The first attempt, as a lease would have returned it; for a job inserted with <see cref="Start"/>.</summary>
    public LeasedJob FirstAttempt() => new(Id, Queue, Lease: 1, Attempt: 1, MaxAttempts, Timeout, CreatedAt, Payload, TraceParent);
}

/// <summary>
/// Inserts a due job with its first attempt already started (lease 1, attempt 1), as if it had been
/// leased in the same transaction: the queue had a free slot when it arrived. The lease expires
/// <see cref="ExpiryMargin"/> after the job's own timeout, as a <see cref="LeaseRequest"/>'s does.
/// </summary>
public sealed record ImmediateStart(string Owner, DateTimeOffset StartedAt, TimeSpan ExpiryMargin);

/// <summary>What an insert did: stored <see cref="Id"/>, or found its idempotency key already used by job <see cref="Id"/>.</summary>
public readonly record struct InsertOutcome(JobId Id, bool Created);

/// <summary>
/// A due job as the queue's in-memory window holds it: no payload, only what orders it, and the
/// partition key its queue's per-key limits count it under (null when it has none).
/// </summary>
public readonly record struct ReadyJob(JobId Id, JobPriority Priority, DateTimeOffset RunAt, string? Partition = null);

/// <summary>
/// What a due check did: the scheduled jobs it moved to enqueued, in no particular order, and the
/// earliest run-at still scheduled after the move (null when none is).
/// </summary>
public sealed record DuePromotion(IReadOnlyList<ReadyJob> Promoted, DateTimeOffset? NextDue);

/// <summary>
/// Asks to start an attempt of a due job: succeeds only while the job is <see cref="JobState.Enqueued"/>.
/// The lease expires <see cref="ExpiryMargin"/> after the job's own timeout.
/// </summary>
public readonly record struct LeaseRequest(JobId Id, string Owner, DateTimeOffset StartedAt, TimeSpan ExpiryMargin);

/// <summary>
/// A job whose attempt has started. <see cref="Lease"/> only grows: every later write about this
/// attempt names it, and the store refuses it once another attempt has started.
/// </summary>
public sealed record LeasedJob(
    JobId Id,
    QueueKey Queue,
    long Lease,
    int Attempt,
    int MaxAttempts,
    TimeSpan Timeout,
    DateTimeOffset CreatedAt,
    byte[] Payload,
    string? TraceParent = null);

/// <summary>
/// When and where an attempt's handler started. The lease names the silo that leased the attempt and
/// when; the outcome write replaces both with these, so a finished attempt's status tells where it
/// ran (a spill-over silo) and when its handler began (after any wait for a worker slot).
/// </summary>
public readonly record struct AttemptRan(DateTimeOffset StartedAt, string Silo);

/// <summary>The attempt under <see cref="Lease"/> succeeded; <see cref="Ran"/> is null when its start is unknown.</summary>
public readonly record struct Completion(JobId Id, long Lease, DateTimeOffset FinishedAt, AttemptRan? Ran = null);

/// <summary>The attempt under <see cref="Lease"/> failed; run again at <see cref="RunAt"/>.</summary>
public sealed record Retry(JobId Id, long Lease, DateTimeOffset RunAt, AttemptError Error, AttemptRan? Ran = null);

/// <summary>
/// The attempt under <see cref="Lease"/> asked to run again at <see cref="RunAt"/> without spending
/// an attempt (a snooze, or a downstream's throttle): the job waits scheduled with its attempt count
/// as it was before this attempt, and no error is recorded.
/// </summary>
public sealed record Snooze(JobId Id, long Lease, DateTimeOffset RunAt, AttemptRan? Ran = null);

/// <summary>The attempt under <see cref="Lease"/> failed for the last time: dead-letter the job.</summary>
public sealed record DeadLetter(JobId Id, long Lease, AttemptError Error, AttemptRan? Ran = null);

/// <summary>The attempt under <see cref="Lease"/> stopped because a person cancelled the job: it ends cancelled.</summary>
public sealed record CancelledRun(JobId Id, long Lease, AttemptError Reason, AttemptRan? Ran = null);

/// <summary>One attempt's failure, kept for the dead-letter queue.</summary>
public sealed record AttemptError(int Attempt, DateTimeOffset FailedAt, string Silo, string ErrorType, string Message, string? StackTrace);

/// <summary>
/// Writes that one flush applies in one transaction, in this order: leases, outcomes, promotions,
/// requeues, sheds, agings, cancels, inserts. Every write a queue makes to its jobs goes through it, so
/// a thousand queues' due checks or sweeps share commits as their enqueues and outcomes do.
/// </summary>
internal sealed class JobWriteBatch
{
    public List<NewJob> Inserts { get; } = [];

    public List<LeaseRequest> Leases { get; } = [];

    public List<Completion> Completions { get; } = [];

    public List<Retry> Retries { get; } = [];

    public List<Snooze> Snoozes { get; } = [];

    public List<DeadLetter> DeadLetters { get; } = [];

    public List<CancelledRun> Cancellations { get; } = [];

    public List<DuePromotionRequest> Promotions { get; } = [];

    public List<ActiveRequeue> Requeues { get; } = [];

    public List<ShedRequest> Sheds { get; } = [];

    public List<AgingRequest> Agings { get; } = [];

    public List<WaitingCancel> Cancels { get; } = [];

    /// <summary>What the batch weighs against the flush's row limit: a row per job named, one per whole-queue statement.</summary>
    public int Count => Inserts.Count + Leases.Count + Completions.Count + Retries.Count + Snoozes.Count + DeadLetters.Count + Cancellations.Count
        + Promotions.Count + Requeues.Count + Sheds.Count + Agings.Count + Cancels.Count;
}

/// <summary>The results of a <see cref="JobWriteBatch"/>, index for index.</summary>
internal sealed class JobWriteResult
{
    public required InsertOutcome[] Inserts { get; init; }

    /// <summary>Null where the job was no longer enqueued (cancelled, or taken by another attempt).</summary>
    public required LeasedJob?[] Leases { get; init; }

    /// <summary>False where the lease was stale and nothing was written.</summary>
    public required bool[] Completions { get; init; }

    /// <inheritdoc cref="Completions"/>
    public required bool[] Retries { get; init; }

    /// <inheritdoc cref="Completions"/>
    public required bool[] Snoozes { get; init; }

    /// <inheritdoc cref="Completions"/>
    public required bool[] DeadLetters { get; init; }

    /// <inheritdoc cref="Completions"/>
    public required bool[] Cancellations { get; init; }

    public required DuePromotion[] Promotions { get; init; }

    /// <summary>How many active jobs each requeue returned to enqueued.</summary>
    public required int[] Requeues { get; init; }

    /// <summary>The jobs each shed cancelled: exactly the count asked for, or none.</summary>
    public required IReadOnlyList<JobId>[] Sheds { get; init; }

    /// <summary>The jobs each aging moved up to high priority, as the window holds them.</summary>
    public required IReadOnlyList<ReadyJob>[] Agings { get; init; }

    /// <summary>False where the job was no longer scheduled or enqueued (or not the tenant's).</summary>
    public required bool[] Cancels { get; init; }
}

/// <summary>A replayed job and the queue it went back to.</summary>
public readonly record struct ReplayedJob(JobId Id, QueueKey Queue);

/// <summary>What a person set on a queue: its policy override (null: its job type's defaults) and since when it is paused (null: it runs).</summary>
public sealed record QueueSettings(QueuePolicy? Override, DateTimeOffset? PausedAt);

/// <summary>What a person set on a tenant: its policy override (null: the silo's defaults) and since when it is paused (null: it runs).</summary>
public sealed record TenantSettings(TenantPolicy? Override, DateTimeOffset? PausedAt);

/// <summary>Counts of one queue's jobs by state (finished jobs while they are kept), and the run-at of its oldest due job.</summary>
public sealed record QueueCounts(long Scheduled, long Enqueued, long Active, long Succeeded, long Dead, DateTimeOffset? OldestEnqueuedRunAt);

/// <summary>One page of a retention sweep: how many jobs went, and the last id deleted, to continue after.</summary>
public readonly record struct FinishedDeletion(int Deleted, JobId? Last);
