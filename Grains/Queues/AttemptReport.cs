using Microsoft.Extensions.Logging;
using OrleansJobs.Diagnostics;
using OrleansJobs.Execution;
using OrleansJobs.Policies;
using OrleansJobs.Queues.Core;
using OrleansJobs.Storage;

namespace OrleansJobs.Queues;

/// <summary>
/// What a queue tells operators about its jobs' attempts: the log lines (under the queue grain's
/// category) and the metrics, as each attempt starts, ends and is recorded.
/// </summary>
internal sealed partial class AttemptReport(QueueKey queue, JobsMetrics metrics, QueueNumbers numbers, ILogger logger)
{
    private readonly ILogger _logger = logger;

    public void Starting(LeasedJob job, DateTimeOffset now)
    {
        metrics.Started(queue, now - job.CreatedAt);
        LogStarting(job.Id, queue.Tenant, queue.JobType, job.Attempt);
    }

    /// <summary>The attempt ended with this outcome; it is about to be written.</summary>
    public void Ended(AttemptOutcome outcome)
    {
        if (outcome is Retrying or DeadLettered or HeldByBreaker)
        {
            metrics.Failed(queue, outcome.Duration);
        }
    }

    /// <summary>The store took the outcome.</summary>
    public void Recorded(LeasedJob job, AttemptOutcome outcome)
    {
        switch (outcome)
        {
            case Succeeded:
                numbers.Finished.Record();
                metrics.Succeeded(queue, outcome.Duration);
                LogSucceeded(job.Id, queue.Tenant, queue.JobType, job.Attempt, outcome.Duration.TotalMilliseconds);
                break;
            case Retrying retry:
                numbers.Retried.Record();
                metrics.Retried(queue);
                LogRetrying(job.Id, queue.Tenant, queue.JobType, job.Attempt, job.MaxAttempts, retry.Write.RunAt, JobErrors.ShortTypeName(retry.Error), retry.Error.Message);
                break;
            case Rescheduled { QueueBackoffUntil: { } until } throttled:
                metrics.Throttled(queue);
                LogThrottled(job.Id, queue.Tenant, queue.JobType, job.Attempt, until, throttled.Reason);
                break;
            case Rescheduled snoozed:
                metrics.Snoozed(queue);
                LogSnoozed(job.Id, queue.Tenant, queue.JobType, job.Attempt, snoozed.Write.RunAt);
                break;
            case HeldByBreaker held:
                metrics.HeldByBreaker(queue);
                LogHeldByBreaker(job.Id, queue.Tenant, queue.JobType, job.Attempt, held.Write.RunAt, JobErrors.ShortTypeName(held.Error), held.Error.Message);
                break;
            case DeadLettered dead:
                numbers.Finished.Record();
                metrics.DeadLettered(queue);
                LogDeadLettered(dead.Error, job.Id, queue.Tenant, queue.JobType, job.Attempt, job.MaxAttempts, dead.Retryable);
                break;
            case CancelledWhileRunning:
                numbers.Finished.Record();
                Cancelled(job.Id);
                break;
        }
    }

    /// <summary>The store refused the outcome: another attempt owns the job now.</summary>
    public void Refused(LeasedJob job) => LogStaleLease(job.Id, queue.Tenant, queue.JobType, job.Attempt, job.Lease);

    public void CancelRequested(JobId id) => LogCancelRequested(id, queue.Tenant, queue.JobType);

    public void Cancelled(JobId id) => LogCancelled(id, queue.Tenant, queue.JobType);

    public void Shed(JobId id) => LogShed(id, queue.Tenant, queue.JobType);

    [LoggerMessage(EventId = (int)LogEvents.JobStarting, Level = LogLevel.Debug, Message = "Job {JobId} ({Tenant}/{JobType}) attempt {Attempt} starting")]
    private partial void LogStarting(JobId jobId, string tenant, string jobType, int attempt);

    [LoggerMessage(EventId = (int)LogEvents.JobSucceeded, Level = LogLevel.Information, Message = "Job {JobId} ({Tenant}/{JobType}) succeeded on attempt {Attempt} in {DurationMs:F1} ms")]
    private partial void LogSucceeded(JobId jobId, string tenant, string jobType, int attempt, double durationMs);

    [LoggerMessage(EventId = (int)LogEvents.JobRetrying, Level = LogLevel.Warning, Message = "Job {JobId} ({Tenant}/{JobType}) attempt {Attempt}/{MaxAttempts} failed with {ErrorType}: {ErrorMessage}; retrying at {RetryAt:O}")]
    private partial void LogRetrying(JobId jobId, string tenant, string jobType, int attempt, int maxAttempts, DateTimeOffset retryAt, string errorType, string errorMessage);

    [LoggerMessage(EventId = (int)LogEvents.JobSnoozed, Level = LogLevel.Debug, Message = "Job {JobId} ({Tenant}/{JobType}) attempt {Attempt} snoozed until {RunAt:O}; the attempt is not counted")]
    private partial void LogSnoozed(JobId jobId, string tenant, string jobType, int attempt, DateTimeOffset runAt);

    [LoggerMessage(EventId = (int)LogEvents.JobThrottled, Level = LogLevel.Information, Message = "Job {JobId} ({Tenant}/{JobType}) attempt {Attempt} was throttled by its downstream ({Reason}); it and its queue (its partition key, in a queue with partitions) wait until {Until:O}, the attempt is not counted")]
    private partial void LogThrottled(JobId jobId, string tenant, string jobType, int attempt, DateTimeOffset until, string reason);

    [LoggerMessage(EventId = (int)LogEvents.JobHeldByBreaker, Level = LogLevel.Information, Message = "Job {JobId} ({Tenant}/{JobType}) attempt {Attempt} failed while its queue's circuit breaker was open ({ErrorType}: {ErrorMessage}); it waits until {RunAt:O}, the attempt is not counted")]
    private partial void LogHeldByBreaker(JobId jobId, string tenant, string jobType, int attempt, DateTimeOffset runAt, string errorType, string errorMessage);

    [LoggerMessage(EventId = (int)LogEvents.JobDeadLettered, Level = LogLevel.Error, Message = "Job {JobId} ({Tenant}/{JobType}) dead-lettered after attempt {Attempt}/{MaxAttempts} (retryable: {Retryable})")]
    private partial void LogDeadLettered(Exception error, JobId jobId, string tenant, string jobType, int attempt, int maxAttempts, bool retryable);

    [LoggerMessage(EventId = (int)LogEvents.JobCancelled, Level = LogLevel.Information, Message = "Job {JobId} ({Tenant}/{JobType}) cancelled")]
    private partial void LogCancelled(JobId jobId, string tenant, string jobType);

    [LoggerMessage(EventId = (int)LogEvents.CancelRequested, Level = LogLevel.Information, Message = "Job {JobId} ({Tenant}/{JobType}) is running; cancelling it")]
    private partial void LogCancelRequested(JobId jobId, string tenant, string jobType);

    [LoggerMessage(EventId = (int)LogEvents.JobShed, Level = LogLevel.Warning, Message = "Job {JobId} ({Tenant}/{JobType}) shed: the queue is full and higher-priority work arrived")]
    private partial void LogShed(JobId jobId, string tenant, string jobType);

    [LoggerMessage(EventId = (int)LogEvents.StaleLease, Level = LogLevel.Warning, Message = "Job {JobId} ({Tenant}/{JobType}) attempt {Attempt}: lease {Lease} is stale, its outcome was discarded (another attempt owns the job)")]
    private partial void LogStaleLease(JobId jobId, string tenant, string jobType, int attempt, long lease);
}
