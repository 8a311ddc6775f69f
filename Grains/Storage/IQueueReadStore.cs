namespace OrleansJobs.Storage;

/// <summary>What queue and tenant grains, the HTTP API and the waker read of the queues: ready pages, the next due time, the per-queue counters, policies and which queues have work. A part of <see cref="IJobStore"/>.</summary>
internal interface IQueueReadStore
{
    /// <summary>
    /// Up to <paramref name="limit"/> enqueued jobs of the queue in run order (priority, then run-at,
    /// then id), from the first or, given <paramref name="after"/>, from the first that runs after it.
    /// Costs O(limit), whatever the queue's length.
    /// </summary>
    Task<IReadOnlyList<ReadyJob>> ReadReadyAsync(QueueKey queue, ReadyJob? after, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// The first due jobs of the queue's partition keys, key by key (see <see cref="PartitionHeadsRequest"/>).
    /// Jumps from key to key on the partition index, so it costs O((keys + skipped) × log n + keys × per key),
    /// whatever each key's backlog.
    /// </summary>
    Task<PartitionHeads> ReadPartitionHeadsAsync(PartitionHeadsRequest request, CancellationToken cancellationToken);

    /// <summary>The earliest run-at of the queue's scheduled jobs, or null when none is scheduled.</summary>
    Task<DateTimeOffset?> GetNextDueAsync(QueueKey queue, CancellationToken cancellationToken);

    /// <summary>
    /// Counts of the queue's jobs by state, kept by the store in the same transaction as every write,
    /// so reading them costs the same at ten jobs as at ten million.
    /// </summary>
    Task<QueueCounts> GetQueueCountsAsync(QueueKey queue, CancellationToken cancellationToken);

    /// <summary>How many of the queue's jobs wait (scheduled or enqueued). Read from the per-queue counters, whatever the backlog.</summary>
    async Task<long> CountWaitingAsync(QueueKey queue, CancellationToken cancellationToken)
    {
        var counts = await GetQueueCountsAsync(queue, cancellationToken);
        return counts.Scheduled + counts.Enqueued;
    }

    /// <summary>The queue's policy override (null when it has none) and whether a person paused it.</summary>
    Task<QueueSettings> GetQueueSettingsAsync(QueueKey queue, CancellationToken cancellationToken);

    /// <summary>How many of the tenant's jobs are active (leased to an attempt), by job type. Read from the per-queue counters.</summary>
    Task<IReadOnlyDictionary<string, int>> CountActiveByJobTypeAsync(string tenant, CancellationToken cancellationToken);

    /// <summary>Every queue with scheduled, enqueued or active jobs: these need an owner after a restart. O(queues).</summary>
    Task<IReadOnlyList<QueueKey>> ListQueuesWithPendingWorkAsync(CancellationToken cancellationToken);
}
