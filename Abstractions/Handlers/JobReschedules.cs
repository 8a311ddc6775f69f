namespace OrleansJobs;

/// <summary>
/// Thrown by a handler to run its job again after <see cref="Delay"/> without spending an attempt:
/// the work is not ready yet (a file still uploading, a report whose data lands tonight). The job
/// waits scheduled, its attempt count unchanged, and nothing is recorded as an error.
/// </summary>
public sealed class SnoozeJobException : Exception
{
    /// <summary>Creates the signal.</summary>
    /// <param name="delay">How long to wait; zero to 366 days.</param>
    public SnoozeJobException(TimeSpan delay)
        : base($"Snoozed for {delay}.") => Delay = JobReschedule.Check(delay, nameof(delay));

    /// <summary>How long the job waits before it runs again.</summary>
    public TimeSpan Delay { get; }
}

/// <summary>
/// Thrown by a handler when the downstream it calls says "slow down" (an HTTP 429 or 503 with
/// Retry-After, a quota error): the job runs again after <see cref="RetryAfter"/> without spending
/// an attempt, and its queue starts none of its other jobs until then, so the queue backs off as a
/// whole instead of burning every waiting job's attempts against the same refusal.
/// </summary>
public sealed class DownstreamThrottledException : Exception
{
    /// <summary>Creates the signal.</summary>
    /// <param name="retryAfter">How long the downstream asked for; zero to 366 days.</param>
    /// <param name="message">What the downstream said, for the job's status and the log.</param>
    public DownstreamThrottledException(TimeSpan retryAfter, string? message = null)
        : base(message ?? $"The downstream asked to retry after {retryAfter}.") => RetryAfter = JobReschedule.Check(retryAfter, nameof(retryAfter));

    /// <summary>How long the job, and its queue, wait.</summary>
    public TimeSpan RetryAfter { get; }
}

internal static class JobReschedule
{
    public static TimeSpan Check(TimeSpan delay, string name) =>
        delay >= TimeSpan.Zero && delay <= JobValidator.MaxScheduleAhead
            ? delay
            : throw new ArgumentOutOfRangeException(name, delay, $"must be between zero and {JobValidator.MaxScheduleAhead.TotalDays} days.");
}
