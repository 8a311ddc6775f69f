using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;
using OrleansJobs.Diagnostics;
using OrleansJobs.Grains;
using OrleansJobs.Handlers;
using OrleansJobs.Hosting;
using OrleansJobs.Maintenance;
using OrleansJobs.Storage;

namespace OrleansJobs.Schedules;

/// <summary>
/// Owns one recurring job. A grain timer wakes it at each occurrence; a reminder brings it back
/// after its silo dies. Each occurrence is enqueued with a key derived from the schedule and the
/// occurrence time before the schedule moves past it, so a crash in between re-enqueues the same
/// key and the queue answers with the job it already has: never lost, never doubled.
/// </summary>
internal sealed partial class ScheduleGrain(
    IScheduleStore store,
    JobTypeRegistry registry,
    IOptions<OrleansJobsOptions> options,
    [FromKeyedServices(ScheduleGrain.ClockKey)] TimeProvider clock,
    ILogger<ScheduleGrain> logger) : Grain, IScheduleGrain, IRemindable
{
    /// <summary>The DI key of the clock schedules read; the silo's clock unless a test replaces it.</summary>
    public const string ClockKey = "OrleansJobs.Schedules";

    private const string ReminderName = "schedule";

    /// <summary>Most occurrences one wake enqueues; a second-precision schedule late by the grace may owe many.</summary>
    private const int MaxOccurrencesPerWake = 1000;

    private static readonly TimeSpan ReminderPeriod = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    private readonly OrleansJobsOptions _options = options.Value;
    private string _tenant = "";
    private string _id = "";
    private ScheduleInfo? _schedule;
    private CronSchedule? _cron;
    private IGrainTimer? _timer;
    private bool _lastFireFailed;

    public override Task OnActivateAsync(CancellationToken cancellationToken) =>
        StoreErrorBoundary.ActivateAsync(() => ActivateAsync(cancellationToken), $"schedule {this.GetPrimaryKeyString()}");

    private async Task ActivateAsync(CancellationToken cancellationToken)
    {
        var key = this.GetPrimaryKeyString();
        var slash = key.IndexOf('/');
        (_tenant, _id) = (key[..slash], key[(slash + 1)..]);
        _schedule = await store.GetScheduleAsync(_tenant, _id, cancellationToken);
        if (_schedule is { } schedule)
        {
            try
            {
                _cron = CronSchedule.Parse(schedule.Definition.Cron, schedule.Definition.TimeZone, clock.GetUtcNow());
            }
            catch (JobValidationException ex)
            {
                LogUnusable(_tenant, _id, ex.Message);
                return;
            }

            await FireDueAsync();
            Arm();
        }
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_cron is not null && SuccessorWake.IsNeeded(reason))
        {
            var self = GrainFactory.GetGrain<IScheduleGrain>(this.GetPrimaryKeyString());
            SuccessorWake.Send(logger, $"Schedule {_tenant}/{_id}", reason, self.WakeAsync);
        }

        return Task.CompletedTask;
    }

    public async Task<ScheduleInfo> UpsertAsync(RecurringJob schedule)
    {
        var now = clock.GetUtcNow();
        var cron = JobValidator.ValidateSchedule(schedule, _options.Limits, now);
        if (schedule.Tenant != _tenant || schedule.Id != _id)
        {
            throw new JobValidationException("id", "mismatch", $"this is schedule {_tenant}/{_id}, not {schedule.Tenant}/{schedule.Id}.");
        }

        if (!registry.TryGet(schedule.JobType, out _))
        {
            throw new UnknownJobTypeException(schedule.JobType);
        }

        var paused = _schedule?.PausedAt;
        var updated = new ScheduleInfo
        {
            Definition = schedule,
            NextOccurrence = paused is null ? cron.NextAfter(now) : null,
            PausedAt = paused,
            LastOccurrence = _schedule?.LastOccurrence,
            LastJobId = _schedule?.LastJobId,
            CreatedAt = _schedule?.CreatedAt ?? now,
            UpdatedAt = now,
        };
        await store.SaveScheduleAsync(updated, CancellationToken.None);
        (_schedule, _cron) = (updated, cron);
        await this.RegisterOrUpdateReminder(ReminderName, ReminderPeriod, ReminderPeriod);
        Arm();
        LogUpserted(_tenant, _id, schedule.Cron, schedule.TimeZone, updated.NextOccurrence);
        return updated;
    }

    public Task<ScheduleInfo?> GetAsync() => Task.FromResult(_schedule);

    public async Task<ScheduleInfo?> SetPausedAsync(bool paused)
    {
        if (_schedule is not { } schedule || (schedule.PausedAt is not null) == paused)
        {
            return _schedule;
        }

        // A paused schedule has no next occurrence, so nothing fires: not its timer, not its reminder,
        // not a new activation. Resumed, it goes on from now.
        var now = Queues.StoreTime.Floor(clock.GetUtcNow());
        var updated = schedule with { PausedAt = paused ? now : null, NextOccurrence = paused ? null : _cron?.NextAfter(now) };
        await store.SaveScheduleAsync(updated, CancellationToken.None);
        _schedule = updated;
        Arm();
        LogPauseChanged(_tenant, _id, paused ? "paused: it enqueues nothing" : $"resumed: next occurrence {updated.NextOccurrence:O}");
        return updated;
    }

    public async Task<bool> DeleteAsync()
    {
        var deleted = await store.DeleteScheduleAsync(_tenant, _id, CancellationToken.None);
        (_schedule, _cron) = (null, null);
        _timer?.Dispose();
        _timer = null;
        await UnregisterReminderAsync();
        DeactivateOnIdle();
        if (deleted)
        {
            LogDeleted(_tenant, _id);
        }

        return deleted;
    }

    public async Task WakeAsync()
    {
        if (_schedule is null)
        {
            DeactivateOnIdle();
            return;
        }

        await FireDueAsync();
        Arm();
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (_schedule is null)
        {
            // The schedule was deleted while the reminder could not be removed.
            await UnregisterReminderAsync();
            DeactivateOnIdle();
            return;
        }

        await FireDueAsync();
        Arm();
    }

    /// <summary>
    /// Enqueues the occurrences that are due: every one late by less than the misfire grace, and for
    /// older ones what the misfire policy says. Then stores where the schedule stands.
    /// </summary>
    private async Task FireDueAsync()
    {
        if (_schedule is not { NextOccurrence: { } next } schedule || _cron is not { } cron)
        {
            return;
        }

        var now = clock.GetUtcNow();
        if (next > now)
        {
            return;
        }

        var definition = schedule.Definition;
        var occurrences = new List<DateTimeOffset>();
        DateTimeOffset? cursor = next;
        var cutoff = now - _options.ScheduleMisfireGrace;
        if (next < cutoff)
        {
            var latestMissed = cron.LatestBetween(next, cutoff) ?? next;
            LogMissed(_tenant, _id, next, latestMissed, definition.Misfire);
            if (definition.Misfire == MisfirePolicy.FireOnce)
            {
                occurrences.Add(latestMissed);
            }

            cursor = cron.NextAfter(latestMissed);
        }

        while (cursor is { } due && due <= now && occurrences.Count < MaxOccurrencesPerWake)
        {
            occurrences.Add(due);
            cursor = cron.NextAfter(due);
        }

        var (lastOccurrence, lastJob) = (schedule.LastOccurrence, schedule.LastJobId);
        if (occurrences.Count > 0)
        {
            try
            {
                var jobs = occurrences
                    .Select(o => new JobSubmission(definition.Payload, JobValidator.ToEnqueueOptions(definition, OccurrenceKey(definition.Id, o))))
                    .ToArray();
                var receipts = await GrainFactory.GetGrain<IQueueGrain>(new QueueKey(_tenant, definition.JobType).ToString()).EnqueueAsync(jobs);
                (lastOccurrence, lastJob) = (occurrences[^1], receipts[^1].Id);
                LogFired(_tenant, _id, occurrences.Count, occurrences[^1], receipts[^1].Id);
                _lastFireFailed = false;
            }
            catch (Exception ex)
            {
                // Nothing moves on: the same occurrences (same keys) are tried again shortly, and once
                // they are older than the grace the misfire policy decides.
                LogFireFailed(ex, _tenant, _id, occurrences[0]);
                _lastFireFailed = true;
                return;
            }
        }

        if (!ReferenceEquals(_schedule, schedule))
        {
            // Replaced or deleted while the jobs were enqueued: the new definition sets the pace.
            return;
        }

        _schedule = schedule with { NextOccurrence = cursor, LastOccurrence = lastOccurrence, LastJobId = lastJob };
        try
        {
            await store.SaveScheduleAsync(_schedule, CancellationToken.None);
        }
        catch (Exception ex)
        {
            // Memory is ahead of the store; if this activation dies before the next save, its
            // successor enqueues the same keys again and gets the same jobs back.
            LogSaveFailed(ex, _tenant, _id);
        }
    }

    /// <summary>Points the timer at the next occurrence, or a short retry when the last attempt failed.</summary>
    private void Arm()
    {
        if (_schedule?.NextOccurrence is not { } next)
        {
            _timer?.Dispose();
            _timer = null;
            return;
        }

        var delay = next - clock.GetUtcNow();
        if (_lastFireFailed || delay < TimeSpan.Zero)
        {
            delay = _lastFireFailed ? RetryDelay : TimeSpan.Zero;
        }

        // Timers take at most about 49 days; the reminder re-arms a longer wait.
        delay = TimeSpan.FromTicks(Math.Min(delay.Ticks, TimeSpan.FromDays(30).Ticks));
        if (_timer is null)
        {
            _timer = this.RegisterGrainTimer(static async (grain, _) =>
            {
                await grain.FireDueAsync();
                grain.Arm();
            }, this, new GrainTimerCreationOptions(delay, Timeout.InfiniteTimeSpan) { KeepAlive = true });
        }
        else
        {
            _timer.Change(delay, Timeout.InfiniteTimeSpan);
        }
    }

    private async Task UnregisterReminderAsync()
    {
        try
        {
            if (await this.GetReminder(ReminderName) is { } reminder)
            {
                await this.UnregisterReminder(reminder);
            }
        }
        catch (Exception ex)
        {
            LogReminderError(ex, _tenant, _id);
        }
    }

    /// <summary>The idempotency key of one occurrence's job: the same wherever and however often it is enqueued.</summary>
    internal static string OccurrenceKey(string scheduleId, DateTimeOffset occurrence) => $"schedule:{scheduleId}:{occurrence.ToUnixTimeMilliseconds()}";
}
