using System.Diagnostics;
using OrleansJobs.Diagnostics;
using OrleansJobs.Storage;

namespace OrleansJobs.Queues;

/// <summary>
/// The queue's levels for the metrics. Counts come from the store's partial indexes: on activation
/// and wake (one query that also resets the backlog count), on housekeeping ticks while the queue is
/// busy (as often as their cost allows, see <see cref="RefreshLevelsAsync"/>), as it goes idle, and
/// after a cancel; what runs is read live. So a busy queue's gauges lag by a housekeeping interval
/// (longer with millions waiting), and an idle queue's are exact.
/// </summary>
internal sealed partial class QueueGrain
{
    private QueueCounts? _counts;

    /// <summary>The <see cref="Stopwatch"/> timestamp before which an unforced recount is skipped.</summary>
    private long _nextCount;

    /// <summary>
    /// Counts the queue once for both uses: the levels, and the backlog the max-backlog check keeps
    /// (only while the queue has one). Throws when the store cannot answer.
    /// </summary>
    private async Task CountQueueAsync(CancellationToken cancellationToken)
    {
        var counts = await _store.GetQueueCountsAsync(_queue, includeSucceeded: false, cancellationToken);
        _counts = counts;
        _waiting = _policy.MaxBacklog is null ? null : counts.Scheduled + counts.Enqueued;
    }

    /// <summary>
    /// Recounts the levels. A count costs O(jobs waiting), so a queue with millions waiting spent most
    /// of the database on its own gauges (the benchmark's 10 M backlog ran at a fifth of its 10 k rate).
    /// Unless <paramref name="force"/>d, a count is repeated no sooner than 100 times its own duration
    /// after it: at most 1 % of the time goes to counting, small queues still recount every tick,
    /// and a huge queue's gauges lag accordingly.
    /// </summary>
    private async Task RefreshLevelsAsync(bool force = false)
    {
        if (!force && Stopwatch.GetTimestamp() < _nextCount)
        {
            return;
        }

        var started = Stopwatch.GetTimestamp();
        try
        {
            _counts = await _store.GetQueueCountsAsync(_queue, includeSucceeded: false, CancellationToken.None);
        }
        catch (Exception ex)
        {
            LogStoreError(ex, _queue.Tenant, _queue.JobType, "count jobs for metrics");
        }

        var ended = Stopwatch.GetTimestamp();
        _nextCount = ended + ((ended - started) * 100);
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
