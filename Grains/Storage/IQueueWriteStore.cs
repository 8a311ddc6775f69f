namespace OrleansJobs.Storage;

/// <summary>What a queue grain writes: its group commits (inserts, leases, outcomes), promotions of due jobs, requeues of expired leases, sheds, cancels and its policy. A part of <see cref="IJobStore"/>.</summary>
internal interface IQueueWriteStore
{
    /// <summary>Applies the batch in one transaction and returns each write's result.</summary>
    Task<JobWriteResult> WriteAsync(JobWriteBatch batch, CancellationToken cancellationToken);

    /// <summary>
    /// How many batches may be written at once. A store with one writer (SQLite) says 1: more would
    /// only split batches. A server says more, so one flush's commit overlaps the next's statements.
    /// </summary>
    int ConcurrentWrites { get; }

    /// <summary>
    /// Moves up to <paramref name="limit"/> scheduled jobs due at <paramref name="now"/> to enqueued,
    /// earliest first, and returns them with the next due time, in one round trip: the queue offers
    /// them to its window directly instead of reading a page.
    /// </summary>
    Task<DuePromotion> PromoteDueAsync(QueueKey queue, DateTimeOffset now, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Returns active jobs of a queue to enqueued so they run again (<see cref="RequeueAllActive"/> or
    /// <see cref="RequeueExpired"/>). Returns how many were requeued.
    /// </summary>
    Task<int> RequeueActiveAsync(ActiveRequeue requeue, CancellationToken cancellationToken);

    /// <summary>
    /// Cancels exactly <paramref name="count"/> of the queue's enqueued jobs whose priority is lower than
    /// <paramref name="above"/>, lowest priority and latest first, recording <paramref name="reason"/>;
    /// cancels none when fewer qualify. Returns their ids. For backpressure that sheds by priority.
    /// </summary>
    Task<IReadOnlyList<JobId>> ShedAsync(QueueKey queue, JobPriority above, int count, string reason, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Cancels the job if it is scheduled or enqueued. Returns false otherwise.</summary>
    Task<bool> CancelAsync(string tenant, JobId id, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Stores the queue's policy override, replacing any earlier one.</summary>
    Task SetQueuePolicyAsync(QueueKey queue, QueuePolicy policy, DateTimeOffset now, CancellationToken cancellationToken);
}
