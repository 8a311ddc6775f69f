namespace OrleansJobs.Storage;

/// <summary>Which of a queue's active jobs (leased to an attempt) go back to enqueued, to run again.</summary>
internal abstract record ActiveRequeue(QueueKey Queue)
{
    /// <summary>The lease cut-off, or null for every active job; for the stores' statements.</summary>
    public DateTimeOffset? ExpiredBefore => this is RequeueExpired expired ? expired.Before : null;

    /// <summary>The jobs to leave alone; for the stores' statements.</summary>
    public IReadOnlyCollection<JobId> Kept => this is RequeueExpired expired ? expired.StillHeld : [];
}

/// <summary>Every active job of the queue: its previous owner is known to be gone (a new activation loads the queue).</summary>
internal sealed record RequeueAllActive(QueueKey Queue) : ActiveRequeue(Queue);

/// <summary>
/// The active jobs whose lease expired before <paramref name="Before"/>, except <paramref name="StillHeld"/>:
/// the attempts the live owner holds and will record however long they waited.
/// </summary>
internal sealed record RequeueExpired(QueueKey Queue, DateTimeOffset Before, IReadOnlyCollection<JobId> StillHeld) : ActiveRequeue(Queue);

/// <summary>Dead-lettered jobs of a tenant moved back to enqueued with fresh attempts, at <paramref name="Now"/>.</summary>
internal abstract record DeadLetterReplay(string Tenant, DateTimeOffset Now)
{
    /// <summary>The one job, or null; for the stores' statements.</summary>
    public JobId? Id => this is ReplayOne one ? one.Job : null;

    /// <summary>What the jobs must match (nothing for one job); for the stores' statements.</summary>
    public DeadLetterFilter Filter => this is ReplayMatching matching ? matching.Matching : new DeadLetterFilter();

    /// <summary>Most jobs replayed at once.</summary>
    public int Limit => this is ReplayMatching matching ? matching.MaxJobs : 1;
}

/// <summary>The tenant's dead job <paramref name="Job"/>.</summary>
internal sealed record ReplayOne(string Tenant, JobId Job, DateTimeOffset Now) : DeadLetterReplay(Tenant, Now);

/// <summary>Up to <paramref name="MaxJobs"/> of the tenant's dead jobs matching <paramref name="Matching"/>, oldest id first.</summary>
internal sealed record ReplayMatching(string Tenant, DeadLetterFilter Matching, int MaxJobs, DateTimeOffset Now) : DeadLetterReplay(Tenant, Now);

/// <summary>
/// Moves up to <paramref name="Limit"/> of the queue's scheduled jobs due at <paramref name="Now"/> to
/// enqueued, earliest first; answered with the jobs and the next due time, so the queue offers them
/// to its window directly instead of reading a page.
/// </summary>
internal sealed record DuePromotionRequest(QueueKey Queue, DateTimeOffset Now, int Limit);

/// <summary>
/// Cancels exactly <paramref name="Count"/> of the queue's enqueued jobs whose priority is lower than
/// <paramref name="Above"/>, lowest priority and latest first, recording <paramref name="Reason"/>;
/// none when fewer qualify. For backpressure that sheds by priority.
/// </summary>
internal sealed record ShedRequest(QueueKey Queue, JobPriority Above, int Count, string Reason, DateTimeOffset Now);

/// <summary>A person's cancel of the tenant's job <paramref name="Id"/>: it takes effect only while the job is scheduled or enqueued.</summary>
internal readonly record struct WaitingCancel(string Tenant, JobId Id, DateTimeOffset Now);

/// <summary>
/// The queue's partition keys after <paramref name="AfterKey"/> in the store's key order (from the first
/// when null), leaving out <paramref name="Skip"/> (keys at their limits), up to <paramref name="Keys"/>
/// of them, and of each its first <paramref name="PerKey"/> due jobs in run order. The queue's turn-taking
/// across keys: it sees past a key whose backlog fills its window.
/// </summary>
internal sealed record PartitionHeadsRequest(QueueKey Queue, string? AfterKey, IReadOnlyCollection<string> Skip, int Keys, int PerKey);

/// <summary>
/// What <see cref="PartitionHeadsRequest"/> found: the jobs, by key then run order; the last key read
/// (where the next read goes on); and whether the keys ran out before <see cref="PartitionHeadsRequest.Keys"/>
/// were found, so the next read starts from the first key again.
/// </summary>
internal sealed record PartitionHeads(IReadOnlyList<ReadyJob> Jobs, string? LastKey, bool Ended);

/// <summary>
/// Moves up to <paramref name="Limit"/> of the queue's enqueued jobs below high priority that have been
/// due since <paramref name="WaitedSince"/> or earlier to high priority, earliest first, keeping their
/// run-at: priority aging, so low priority cannot starve under a constant stream of high.
/// </summary>
internal sealed record AgingRequest(QueueKey Queue, DateTimeOffset WaitedSince, int Limit);

/// <summary>A page of queues to list: of one tenant or all, after a queue, at most <see cref="Limit"/>.</summary>
internal sealed record QueueListing(string? Tenant, QueueKey? After, int Limit);

/// <summary>Queues in (tenant, job type) order; <see cref="Next"/> is the cursor of the next page, null on the last.</summary>
internal sealed record QueueListPage(IReadOnlyList<QueueKey> Queues, QueueKey? Next);

/// <summary>A job with what a person needs to understand it: its status, its payload, every failed attempt (oldest first) and the W3C trace context it was enqueued under.</summary>
internal sealed record JobDetail(JobInfo Job, byte[] Payload, IReadOnlyList<JobAttemptError> Errors, string? TraceParent = null);

/// <summary>
/// One page of a queue's jobs in one state, each state in the order its index keeps: enqueued in run
/// order, scheduled by run-at, running by lease expiry, finished and dead newest first. <see cref="After"/>
/// is the cursor a previous page gave; <see cref="CreatedFrom"/> and <see cref="CreatedTo"/> bound the
/// creation time (the job id carries it); <see cref="ErrorContains"/> keeps jobs whose last error has that text.
/// Dead jobs may be listed across the tenant's job types with an empty job type: their index is the tenant's alone.
/// </summary>
internal sealed record JobListing(QueueKey Queue, JobState State, string? After, int Limit)
{
    public DateTimeOffset? CreatedFrom { get; init; }

    public DateTimeOffset? CreatedTo { get; init; }

    public string? ErrorContains { get; init; }
}

/// <summary>A page of jobs; <see cref="Next"/> is the cursor of the next page, null on the last.</summary>
internal sealed record JobListPage(IReadOnlyList<JobInfo> Jobs, string? Next)
{
    /// <summary>Each job's place in the list's order, as cursor text (<see cref="JobListSql.PlaceOrder"/> orders them); lets pages of several queues merge.</summary>
    public IReadOnlyList<string> Places { get; init; } = [];
}

/// <summary>Finished jobs a person deletes: <see cref="Id"/> for one (succeeded, cancelled or dead), else up to <see cref="Limit"/> dead letters <see cref="Filter"/> matches.</summary>
internal sealed record FinishedJobsDeletion(string Tenant, JobId? Id, DeadLetterFilter Filter, int Limit);
