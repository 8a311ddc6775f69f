
namespace OrleansJobs.Queues;

/// <summary>What keeps the queue alive and its numbers current: housekeeping ticks, the reminder, the counters.</summary>
internal sealed partial class QueueGrain
{
    public Task<QueueStats> GetStatsAsync()
    {
        _ = Core;
        return _numbers.StatsAsync();
    }

    private Task UpdateBusyAsync() => _core is { } core ? _keepAlive.UpdateAsync(() => core.HasWork, core.Draining) : Task.CompletedTask;

    private async Task HousekeepAsync()
    {
        var core = Core;
        core.Housekeep(Now);
        Execute();
        await RefreshCountsAsync();
        if (!core.HasWork)
        {
            _keepAlive.StopHousekeeping();
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
            var counts = await _numbers.RefreshAsync();
            if (resetBacklog)
            {
                Core.Backlog.Counted(QueueNumbers.Backlog(Core.Policy, counts));
            }
        }
        catch (Exception ex)
        {
            LogStoreError(ex, "count jobs");
        }
    }
}
