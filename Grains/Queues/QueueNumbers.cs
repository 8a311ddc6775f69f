using OrleansJobs.Diagnostics;
using OrleansJobs.Policies;
using OrleansJobs.Queues.Core;
using OrleansJobs.Storage;

namespace OrleansJobs.Queues;

/// <summary>
/// A queue's numbers as operators see them: the store's per-queue counters, which cost the same at any
/// backlog (read on activation and wake, on housekeeping ticks, after a cancel), and the pace it has
/// finished jobs at lately. A busy queue's gauges lag by at most a housekeeping interval; what runs
/// is read live.
/// </summary>
internal sealed class QueueNumbers(QueueKey queue, IQueueReadStore reads, TimeProvider time)
{
    private QueueCounts? _counts;

    /// <summary>Jobs that ended (succeeded, dead-lettered or cancelled while running), for the pace.</summary>
    public ThroughputMeter Finished { get; } = new(time);

    /// <summary>Attempts that failed and were scheduled to try again, for the retry rate.</summary>
    public ThroughputMeter Retried { get; } = new(time);

    /// <summary>Reads the counters again and keeps them for the gauges.</summary>
    public async Task<QueueCounts> RefreshAsync() => _counts = await reads.GetQueueCountsAsync(queue, CancellationToken.None);

    /// <summary>Jobs waiting in the store, which the core tracks only while the queue has a max backlog.</summary>
    public static long? Backlog(EffectiveQueuePolicy policy, QueueCounts counts) =>
        policy.MaxBacklog is null ? null : counts.Scheduled + counts.Enqueued;

    /// <summary>The store's counters and the recent pace, with what only the live core knows: pause, backoff, limit, breaker.</summary>
    public async Task<QueueStats> StatsAsync(QueueCore core)
    {
        var counts = await reads.GetQueueCountsAsync(queue, CancellationToken.None);
        var now = time.GetUtcNow();
        var pace = Finished.PerSecond();
        return FromCounts(queue, counts, now) with
        {
            CompletedPerSecond = pace,
            LastFinishedAt = Finished.LastAt,
            RetriesPerSecond = Retried.PerSecond(),
            DrainTime = counts.Enqueued == 0 ? TimeSpan.Zero : pace > 0 ? TimeSpan.FromSeconds(counts.Enqueued / pace) : null,
            Paused = core.Paused,
            TenantPaused = core.Permits.TenantPaused,
            BackingOffUntil = core.BackingOff ? core.BackoffUntil : null,
            ConcurrencyLimit = core.ConcurrencyLimit,
            Breaker = core.Breaker?.State ?? BreakerState.Closed,
            BreakerOpenUntil = core.Breaker?.OpenUntil,
            KeyBreakersOpen = core.Gate?.BreakersNotClosed ?? 0,
        };
    }

    /// <summary>What the store's counters alone say of a queue, as when no silo handles its job type.</summary>
    public static QueueStats FromCounts(QueueKey queue, QueueCounts counts, DateTimeOffset now) => new()
    {
        Tenant = queue.Tenant,
        JobType = queue.JobType,
        Scheduled = counts.Scheduled,
        Enqueued = counts.Enqueued,
        Active = counts.Active,
        Succeeded = counts.Succeeded,
        DeadLettered = counts.Dead,
        OldestWaiting = counts.OldestEnqueuedRunAt is { } oldest ? (now > oldest ? now - oldest : TimeSpan.Zero) : null,
    };

    /// <summary>Called on the metrics collector's thread: reads fields only, never awaits or mutates.</summary>
    public QueueLevels Levels(long running, int limit, BreakerState breaker)
    {
        var counts = _counts;
        var backlog = counts?.Enqueued ?? 0;
        var now = time.GetUtcNow();
        var oldest = counts?.OldestEnqueuedRunAt is { } runAt && now > runAt ? (now - runAt).TotalSeconds : 0;
        var pace = Finished.PerSecond();
        var drain = backlog == 0 ? 0 : pace > 0 ? backlog / pace : double.PositiveInfinity;
        return new QueueLevels(backlog, counts?.Scheduled ?? 0, running, counts?.Dead ?? 0, oldest, drain, limit, (int)breaker);
    }

    /// <summary>When a full queue's caller should try again: the time to drain the excess at the recent pace, whole seconds.</summary>
    public TimeSpan RetryAfter(long excess)
    {
        var pace = Finished.PerSecond();
        var wait = pace > 0 ? Math.Clamp(excess / pace, 1, 3600) : 5;
        return TimeSpan.FromSeconds(Math.Ceiling(wait));
    }
}
