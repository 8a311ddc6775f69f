using OrleansJobs.Handlers;
using OrleansJobs.Storage;

namespace OrleansJobs.Execution;

/// <summary>An attempt one silo hands to another's worker pool; the outcome goes back to <see cref="ReplyTo"/>.</summary>
[GenerateSerializer, Immutable]
internal sealed record RemoteRun(
    [property: Id(0)] JobId Id,
    [property: Id(1)] string Tenant,
    [property: Id(2)] string JobType,
    [property: Id(3)] long Lease,
    [property: Id(4)] int Attempt,
    [property: Id(5)] int MaxAttempts,
    [property: Id(6)] TimeSpan Timeout,
    [property: Id(7)] DateTimeOffset CreatedAt,
    [property: Id(8)] byte[] Payload,
    [property: Id(9)] string? TraceParent,
    [property: Id(10)] SiloAddress ReplyTo)
{
    public static RemoteRun From(LeasedJob job, SiloAddress replyTo) =>
        new(job.Id, job.Queue.Tenant, job.Queue.JobType, job.Lease, job.Attempt, job.MaxAttempts, job.Timeout, job.CreatedAt, job.Payload, job.TraceParent, replyTo);

    public LeasedJob ToLeasedJob() =>
        new(Id, new QueueKey(Tenant, JobType), Lease, Attempt, MaxAttempts, Timeout, CreatedAt, Payload, TraceParent);
}

/// <summary>How a <see cref="RemoteRun"/> ended, as data: exceptions do not cross silos intact.</summary>
[GenerateSerializer, Immutable]
internal sealed record RemoteOutcome(
    [property: Id(0)] JobId Id,
    [property: Id(1)] long Lease,
    [property: Id(2)] RemoteOutcomeKind Kind,
    [property: Id(3)] string? ErrorType,
    [property: Id(4)] string? Message,
    [property: Id(5)] string? Detail,
    [property: Id(6)] bool Retryable,
    [property: Id(7)] TimeSpan Duration,
    [property: Id(8)] SiloAddress Silo,
    [property: Id(9)] int FreeSlots,
    [property: Id(10)] DateTimeOffset? StartedAt = null,
    [property: Id(11)] TimeSpan? RunAgainAfter = null)
{
    /// <summary>Describes <paramref name="result"/>, judging retryability where the handler's exception still exists.</summary>
    public static RemoteOutcome From(RemoteRun run, JobRunResult result, JobTypeRegistration? type, SiloAddress silo, int freeSlots)
    {
        var kind = result.Error switch
        {
            null => RemoteOutcomeKind.Succeeded,
            JobCancelledException => RemoteOutcomeKind.Cancelled,
            JobTimeoutException => RemoteOutcomeKind.TimedOut,
            SnoozeJobException => RemoteOutcomeKind.Snoozed,
            DownstreamThrottledException => RemoteOutcomeKind.Throttled,
            _ => RemoteOutcomeKind.Failed,
        };
        var runAgainAfter = result.Error switch
        {
            SnoozeJobException snooze => snooze.Delay,
            DownstreamThrottledException throttled => throttled.RetryAfter,
            _ => (TimeSpan?)null,
        };
        var error = result.Error;
        return new RemoteOutcome(
            run.Id, run.Lease, kind, error is null ? null : JobErrors.TypeName(error), error?.Message, error?.ToString(),
            error is null || type is null || type.IsRetryable(error), result.Duration, silo, freeSlots, result.StartedAt, runAgainAfter);
    }

    /// <summary>The result as the queue that leased the attempt records it.</summary>
    public JobRunResult ToResult() => new(
        Kind switch
        {
            RemoteOutcomeKind.Succeeded => null,
            RemoteOutcomeKind.Cancelled => new JobCancelledException(Message ?? "Cancelled."),
            RemoteOutcomeKind.TimedOut => new JobTimeoutException(Message ?? "Timed out."),
            RemoteOutcomeKind.Snoozed => new SnoozeJobException(RunAgainAfter ?? TimeSpan.Zero),
            RemoteOutcomeKind.Throttled => new DownstreamThrottledException(RunAgainAfter ?? TimeSpan.Zero, Message),
            _ => new RemoteJobException(ErrorType ?? "Exception", Message ?? "", Detail, Retryable),
        },
        Duration,
        Silo.ToString(),
        StartedAt);
}

[GenerateSerializer]
internal enum RemoteOutcomeKind
{
    Succeeded,
    Failed,
    Cancelled,
    TimedOut,
    Snoozed,
    Throttled,
}
