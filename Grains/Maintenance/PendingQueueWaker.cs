using Microsoft.Extensions.Logging;
using OrleansJobs.Diagnostics;
using OrleansJobs.Grains;
using OrleansJobs.Storage;

namespace OrleansJobs.Maintenance;

/// <summary>
/// Maintenance: every queue with scheduled, enqueued or active jobs, every recurring job and the
/// retention sweep is woken, so one whose owner is gone gets a new one now (a queue re-runs the
/// attempts the old owner left active; a schedule enqueues the occurrence it owed).
/// <para><b>When.</b> A silo starts (<see cref="Hosting.JobStoreLifecycle"/>) or one dies (<see cref="DeadSiloRecovery"/>).</para>
/// <para><b>Work.</b> The keys come from the store; each grain gets one wake call, 16 at a time. Waking a live one is a cheap no-op.</para>
/// <para><b>On failure.</b> Starts over with backoff (2 s more per attempt, at most 30 s) until it succeeds or the silo stops.</para>
/// </summary>
internal sealed partial class PendingQueueWaker(IQueueReadStore queueStore, IScheduleStore scheduleStore, IGrainFactory grains, ILogger<PendingQueueWaker> logger)
{
    /// <summary>Wakes them all, retrying with backoff until it succeeds or <paramref name="cancellationToken"/> fires.</summary>
    public async Task WakeAllAsync(string reason, CancellationToken cancellationToken)
    {
        for (var attempt = 1; !cancellationToken.IsCancellationRequested; attempt++)
        {
            try
            {
                var queues = await queueStore.ListQueuesWithPendingWorkAsync(cancellationToken);
                await Parallel.ForEachAsync(
                    queues,
                    new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken },
                    async (queue, _) => await grains.GetGrain<IQueueGrain>(queue.ToString()).WakeAsync());
                LogQueuesWoken(queues.Count, reason);

                // Schedules whose owner is gone would otherwise wait for their reminder (or, with
                // in-memory reminders after a restart, forever).
                var schedules = await scheduleStore.ListScheduleKeysAsync(cancellationToken);
                await Parallel.ForEachAsync(
                    schedules,
                    new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken },
                    async (schedule, _) => await grains.GetGrain<IScheduleGrain>($"{schedule.Tenant}/{schedule.Id}").WakeAsync());
                LogSchedulesWoken(schedules.Count, reason);

                // Its reminder, like the queues', is gone after an embedded silo restarts.
                await grains.GetGrain<IRetentionGrain>(0).StartAsync();
                return;
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                LogWakeFailed(ex, reason, attempt);
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(30, attempt * 2)), cancellationToken);
            }
        }
    }

    [LoggerMessage(EventId = (int)LogEvents.QueuesWoken, Level = LogLevel.Information, Message = "Woke {Count} queue(s) with pending work ({Reason})")]
    private partial void LogQueuesWoken(int count, string reason);

    [LoggerMessage(EventId = (int)LogEvents.SchedulesWoken, Level = LogLevel.Information, Message = "Woke {Count} schedule(s) ({Reason})")]
    private partial void LogSchedulesWoken(int count, string reason);

    [LoggerMessage(EventId = (int)LogEvents.WakeFailed, Level = LogLevel.Warning, Message = "Waking queues with pending work ({Reason}) failed on attempt {Attempt}; retrying")]
    private partial void LogWakeFailed(Exception exception, string reason, int attempt);
}
