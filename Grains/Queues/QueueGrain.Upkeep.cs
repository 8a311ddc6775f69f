using OrleansJobs.Diagnostics;
using OrleansJobs.Storage;

namespace OrleansJobs.Queues;

/// <summary>
/// What keeps the queue alive and visible: a housekeeping timer while it is busy, a reminder in case
/// the silo dies, and its levels for the metrics and stats. Counts come from the store's per-queue
/// counters, which cost the same at any backlog: on activation and wake, on housekeeping ticks, after
/// a cancel; what runs is read live. So a busy queue's gauges lag by at most a housekeeping interval.
/// </summary>
internal sealed partial class QueueGrain
{
    public async Task<QueueStats> GetStatsAsync()
    {
        _ = Core;
        var counts = await _reads.GetQueueCountsAsync(_queue, CancellationToken.None);
        var now = Now;
        var pace = _finished.PerSecond();
        return new QueueStats
        {
            Tenant = _queue.Tenant,
            JobType = _queue.JobType,
            Scheduled = counts.Scheduled,
            Enqueued = counts.Enqueued,
            Active = counts.Active,
            Succeeded = counts.Succeeded,
            DeadLettered = counts.Dead,
            OldestWaiting = counts.OldestEnqueuedRunAt is { } oldest ? (now > oldest ? now - oldest : TimeSpan.Zero) : null,
            CompletedPerSecond = pace,
            DrainTime = counts.Enqueued == 0 ? TimeSpan.Zero : pace > 0 ? TimeSpan.FromSeconds(counts.Enqueued / pace) : null,
        };
    }

    /// <summary>
    /// Keeps a busy queue alive and recoverable: a housekeeping timer while active, a reminder in case
    /// the silo dies. An idle queue drops both so it can be collected.
    /// </summary>
    private async Task UpdateBusyAsync()
    {
        if (_core is not { } core)
        {
            return;
        }

        if (core.HasWork && _housekeeping is null && !core.Draining)
        {
            // A random first tick: queues that got busy together (a deploy, a burst across tenants) would
            // otherwise sweep and fold their counters in the same instant, every interval, and stall
            // the store's commits for everyone while they do.
            var firstTick = _options.HousekeepingInterval * (0.5 + Random.Shared.NextDouble());
            _housekeeping = this.RegisterGrainTimer(static (grain, _) => grain.HousekeepAsync(), this,
                new GrainTimerCreationOptions(firstTick, _options.HousekeepingInterval) { Interleave = true, KeepAlive = true });
        }

        if (_reminderUpdating)
        {
            return;
        }

        _reminderUpdating = true;
        try
        {
            // Work may come or go during the await; loop until the reminder matches it.
            while (core.HasWork != _reminderOn)
            {
                if (!_reminderOn)
                {
                    await this.RegisterOrUpdateReminder(ReminderName, ReminderPeriod, ReminderPeriod);
                    _reminderOn = true;
                }
                else if (await this.GetReminder(ReminderName) is { } reminder)
                {
                    await this.UnregisterReminder(reminder);
                    _reminderOn = false;
                }
                else
                {
                    _reminderOn = false;
                }
            }
        }
        catch (Exception ex)
        {
            LogReminderError(ex, _queue.Tenant, _queue.JobType);
        }
        finally
        {
            _reminderUpdating = false;
        }
    }

    private async Task HousekeepAsync()
    {
        var core = Core;
        core.Housekeep(Now);
        Execute();
        await RefreshCountsAsync();
        if (!core.HasWork)
        {
            _housekeeping?.Dispose();
            _housekeeping = null;
        }

        await UpdateBusyAsync();
    }

    /// <summary>
    /// Reads the queue's counters for the levels; with <paramref name="resetBacklog"/>, the backlog the
    /// max-backlog check keeps starts again from them too (after a wake, when someone else changed it).
    /// </summary>
    private async Task RefreshCountsAsync(bool resetBacklog = false)
    {
        try
        {
            _counts = await _reads.GetQueueCountsAsync(_queue, CancellationToken.None);
            if (resetBacklog)
            {
                Core.Backlog.Counted(Backlog(Core.Policy, _counts));
            }
        }
        catch (Exception ex)
        {
            LogStoreError(ex, _queue.Tenant, _queue.JobType, "count jobs");
        }
    }

    /// <summary>Called on the metrics collector's thread: reads fields only, never awaits or mutates.</summary>
    private QueueLevels ReadLevels()
    {
        var counts = _counts;
        var backlog = counts?.Enqueued ?? 0;
        var now = Now;
        var oldest = counts?.OldestEnqueuedRunAt is { } runAt && now > runAt ? (now - runAt).TotalSeconds : 0;
        var pace = _finished.PerSecond();
        var drain = backlog == 0 ? 0 : pace > 0 ? backlog / pace : double.PositiveInfinity;
        return new QueueLevels(backlog, counts?.Scheduled ?? 0, _core?.Attempts.InBudget ?? 0, counts?.Dead ?? 0, oldest, drain);
    }
}
