namespace OrleansJobs.Policies;

/// <summary>What happens to a job after a failed attempt.</summary>
internal readonly record struct RetryDecision(bool DeadLetter, DateTimeOffset RetryAt)
{
    /// <summary>
    /// Retries while attempts remain and the error is retryable, at now plus the policy's delay;
    /// otherwise dead-letters.
    /// </summary>
    public static RetryDecision For(int attempt, int maxAttempts, bool retryable, RetryPolicy policy, DateTimeOffset now, Random random) =>
        retryable && attempt < maxAttempts
            ? new RetryDecision(false, now + policy.NextDelay(attempt, random))
            : new RetryDecision(true, now);
}
