namespace OrleansJobs.Storage;

/// <summary>
/// What a queue grain writes: every change to its jobs as a group commit (inserts, leases, outcomes,
/// promotions of due jobs, requeues of expired leases, sheds, cancels), and its policy. A part of
/// <see cref="IJobStore"/>.
/// </summary>
internal interface IQueueWriteStore
{
    /// <summary>Applies the batch in one transaction and returns each write's result.</summary>
    Task<JobWriteResult> WriteAsync(JobWriteBatch batch, CancellationToken cancellationToken);

    /// <summary>
    /// How many batches may be written at once. A store with one writer (SQLite) says 1: more would
    /// only split batches. A server says more, so one flush's commit overlaps the next's statements.
    /// </summary>
    int ConcurrentWrites { get; }

    /// <summary>Stores the queue's policy override, replacing any earlier one; a pause stays as it was.</summary>
    Task SetQueuePolicyAsync(QueueKey queue, QueuePolicy policy, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Pauses the queue since <paramref name="pausedAt"/>, or resumes it (null); its policy override stays as it was.</summary>
    Task SetQueuePausedAsync(QueueKey queue, DateTimeOffset? pausedAt, DateTimeOffset now, CancellationToken cancellationToken);
}
