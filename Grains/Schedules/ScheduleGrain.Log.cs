using Microsoft.Extensions.Logging;
using OrleansJobs.Diagnostics;

namespace OrleansJobs.Schedules;

internal sealed partial class ScheduleGrain
{
    [LoggerMessage(EventId = (int)LogEvents.SchedulePauseChanged, Level = LogLevel.Information, Message = "Schedule {Tenant}/{Id} {State}")]
    private partial void LogPauseChanged(string tenant, string id, string state);

    [LoggerMessage(EventId = (int)LogEvents.ScheduleUpserted, Level = LogLevel.Information, Message = "Schedule {Tenant}/{ScheduleId} set to '{Cron}' ({TimeZone}); next occurrence {NextOccurrence:O}")]
    private partial void LogUpserted(string tenant, string scheduleId, string cron, string timeZone, DateTimeOffset? nextOccurrence);

    [LoggerMessage(EventId = (int)LogEvents.ScheduleDeleted, Level = LogLevel.Information, Message = "Schedule {Tenant}/{ScheduleId} deleted")]
    private partial void LogDeleted(string tenant, string scheduleId);

    [LoggerMessage(EventId = (int)LogEvents.ScheduleFired, Level = LogLevel.Information, Message = "Schedule {Tenant}/{ScheduleId} enqueued {Count} occurrence(s), the last {Occurrence:O} as job {JobId}")]
    private partial void LogFired(string tenant, string scheduleId, int count, DateTimeOffset occurrence, JobId jobId);

    [LoggerMessage(EventId = (int)LogEvents.ScheduleMissed, Level = LogLevel.Warning, Message = "Schedule {Tenant}/{ScheduleId} missed its occurrences from {From:O} to {To:O} by more than the grace; misfire policy {Misfire}")]
    private partial void LogMissed(string tenant, string scheduleId, DateTimeOffset from, DateTimeOffset to, MisfirePolicy misfire);

    [LoggerMessage(EventId = (int)LogEvents.ScheduleFireFailed, Level = LogLevel.Warning, Message = "Schedule {Tenant}/{ScheduleId} could not enqueue its occurrence {Occurrence:O}; retrying")]
    private partial void LogFireFailed(Exception error, string tenant, string scheduleId, DateTimeOffset occurrence);

    [LoggerMessage(EventId = (int)LogEvents.ScheduleSaveFailed, Level = LogLevel.Warning, Message = "Schedule {Tenant}/{ScheduleId} could not store its progress; it is kept in memory")]
    private partial void LogSaveFailed(Exception error, string tenant, string scheduleId);

    [LoggerMessage(EventId = (int)LogEvents.ScheduleUnusable, Level = LogLevel.Error, Message = "Schedule {Tenant}/{ScheduleId} cannot run on this silo: {Reason}")]
    private partial void LogUnusable(string tenant, string scheduleId, string reason);

    [LoggerMessage(EventId = (int)LogEvents.ScheduleReminderError, Level = LogLevel.Warning, Message = "Schedule {Tenant}/{ScheduleId} could not remove its reminder")]
    private partial void LogReminderError(Exception error, string tenant, string scheduleId);
}
