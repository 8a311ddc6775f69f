using OrleansJobs.Execution;
using OrleansJobs.Policies;
using OrleansJobs.Storage;

namespace OrleansJobs.Queues.Core;

/// <summary>Decides what an ended attempt's outcome is: pure, chance only from the given source.</summary>
internal static class AttemptOutcomes
{
    public static AttemptOutcome Decide(LeasedJob job, JobRunResult result, DateTimeOffset now, QueueCoreSettings settings, Random random)
    {
        var silo = result.Silo ?? settings.Owner;
        AttemptRan? ran = result.StartedAt is { } startedAt ? new AttemptRan(startedAt, silo) : null;
        switch (result.Error)
        {
            case null:
                return new Succeeded(new Completion(job.Id, job.Lease, now, ran), result.Duration);
            case SnoozeJobException snooze:
                return new Rescheduled(new Snooze(job.Id, job.Lease, StoreTime.Ceiling(now + snooze.Delay), ran), null, snooze.Message, result.Duration);
            case DownstreamThrottledException throttled:
                var until = StoreTime.Ceiling(now + throttled.RetryAfter);
                return new Rescheduled(new Snooze(job.Id, job.Lease, until, ran), until, throttled.Message, result.Duration);
            case JobCancelledException cancelled:
                var reason = new AttemptError(job.Attempt, now, silo, typeof(JobCancelledException).FullName!, cancelled.Message, null);
                return new CancelledWhileRunning(new CancelledRun(job.Id, job.Lease, reason, ran), result.Duration);
            case var error:
                var retryable = settings.IsRetryable(error);
                var attemptError = new AttemptError(job.Attempt, now, silo, JobErrors.TypeName(error), error.Message, error.ToString());
                var decision = RetryDecision.For(job.Attempt, job.MaxAttempts, retryable, settings.Retry, now, random);
                return decision.DeadLetter
                    ? new DeadLettered(new DeadLetter(job.Id, job.Lease, attemptError, ran), error, retryable, result.Duration)
                    : new Retrying(new Retry(job.Id, job.Lease, StoreTime.Ceiling(decision.RetryAt), attemptError, ran), error, result.Duration);
        }
    }
}
