using Microsoft.Extensions.Logging;
using OrleansJobs.Diagnostics;

namespace OrleansJobs.Queues;

/// <summary>
/// Keeps a busy queue alive and recoverable: a housekeeping timer while its activation has work, a
/// reminder in case the silo dies. An idle queue drops both so it can be collected.
/// </summary>
internal sealed partial class QueueKeepAlive(IGrainBase grain, QueueKey queue, TimeSpan interval, Func<Task> housekeep, QueueLog log, ILogger logger)
{
    /// <summary>How often the reminder ticks; a lease is swept no sooner than one tick after it could have been.</summary>
    public static readonly TimeSpan ReminderPeriod = TimeSpan.FromMinutes(1);

    private const string ReminderName = "pending-work";

    private readonly ILogger _logger = logger;
    private IGrainTimer? _housekeeping;
    private bool _reminderOn;
    private bool _reminderUpdating;

    /// <summary>Starts housekeeping when there is work, and brings the reminder in line with <paramref name="hasWork"/>, read again after every await.</summary>
    public async Task UpdateAsync(Func<bool> hasWork, bool draining)
    {
        if (hasWork() && _housekeeping is null && !draining)
        {
            // A random first tick: queues that got busy together (a deploy, a burst across tenants) would
            // otherwise sweep and fold their counters in the same instant, every interval, and stall
            // the store's commits for everyone while they do.
            var firstTick = interval * (0.5 + Random.Shared.NextDouble());
            _housekeeping = grain.RegisterGrainTimer(static (housekeep, _) => housekeep(), housekeep,
                new GrainTimerCreationOptions(firstTick, interval) { Interleave = true, KeepAlive = true });
        }

        if (_reminderUpdating)
        {
            return;
        }

        _reminderUpdating = true;
        try
        {
            // Work may come or go during the await; loop until the reminder matches it.
            while (hasWork() != _reminderOn)
            {
                if (!_reminderOn)
                {
                    await grain.RegisterOrUpdateReminder(ReminderName, ReminderPeriod, ReminderPeriod);
                    _reminderOn = true;
                }
                else if (await grain.GetReminder(ReminderName) is { } reminder)
                {
                    await grain.UnregisterReminder(reminder);
                    _reminderOn = false;
                }
                else
                {
                    _reminderOn = false;
                }
            }
        }
        catch (Exception ex) when (ex is JobStoreUnavailableException || StoreErrorBoundary.IsStoreError(ex))
        {
            // The reminder table is in the store: an outage is the outage log's to tell, once. The next
            // update tries again, since the reminder is still marked off.
            log.StoreError(ex, "update its reminder");
        }
        catch (Exception ex)
        {
            LogReminderError(ex, queue.Tenant, queue.JobType);
        }
        finally
        {
            _reminderUpdating = false;
        }
    }

    /// <summary>Stops housekeeping: the queue has nothing left to keep.</summary>
    public void StopHousekeeping()
    {
        _housekeeping?.Dispose();
        _housekeeping = null;
    }

    [LoggerMessage(EventId = (int)LogEvents.ReminderError, Level = LogLevel.Error, Message = "Queue {Tenant}/{JobType}: could not update its reminder")]
    private partial void LogReminderError(Exception exception, string tenant, string jobType);
}
