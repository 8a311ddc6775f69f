using OrleansJobs.Diagnostics;
using OrleansJobs.Storage;

namespace OrleansJobs.Queues;

/// <summary>
/// The queue's levels for the metrics. Counts come from the store's per-queue counters, which cost
/// the same at any backlog: on activation and wake (one read that also resets the backlog count), on
/// housekeeping ticks while the queue is busy, as it goes idle, and after a cancel; what runs is read
/// live. So a busy queue's gauges lag by at most a housekeeping interval, and an idle queue's are exact.
/// </summary>
internal sealed partial class QueueGrain
{
    private QueueCounts? _counts;

    /// <summary>
    /// Counts the queue once for both uses: the levels, and the backlog the max-backlog check keeps
    /// (only while the queue has one). Throws when the store cannot answer.
    /// </summary>
    private async Task CountQueueAsync(CancellationToken cancellationToken)
    {
        var counts = await _store.GetQueueCountsAsync(_queue, cancellationToken);
        _counts = counts;
        _waiting = _policy.MaxBacklog is null ? null : counts.Scheduled + counts.Enqueued;
    }

    private async Task RefreshLevelsAsync()
    {
        try
        {
            _counts = await _store.GetQueueCountsAsync(_queue, CancellationToken.None);
        }
        catch (Exception ex)
        {
            LogStoreError(ex, _queue.Tenant, _queue.JobType, "count jobs for metrics");
        }
    }

    /// <summary>Called on the metrics collector's thread: reads fields only, never awaits or mutates.</summary>
    private QueueLevels ReadLevels()
    {
        var counts = _counts;
        var backlog = counts?.Enqueued ?? 0;
        var now = _time.GetUtcNow();
        var oldest = counts?.OldestEnqueuedRunAt is { } runAt && now > runAt ? (now - runAt).TotalSeconds : 0;
        var pace = _finished.PerSecond();
        var drain = backlog == 0 ? 0 : pace > 0 ? backlog / pace : double.PositiveInfinity;
        return new QueueLevels(backlog, counts?.Scheduled ?? 0, _running.Count, counts?.Dead ?? 0, oldest, drain);
    }
}
