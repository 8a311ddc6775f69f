using OrleansJobs.Storage;

namespace OrleansJobs.Queues.Core;

/// <summary>How an attempt ended, decided by the core with the pure retry policy: the lease-guarded write that records it.</summary>
internal abstract record AttemptOutcome(TimeSpan Duration);

/// <summary>The handler returned.</summary>
internal sealed record Succeeded(Completion Write, TimeSpan Duration) : AttemptOutcome(Duration);

/// <summary>The handler failed with attempts left and a retryable error: run again at the write's run-at.</summary>
internal sealed record Retrying(Retry Write, Exception Error, TimeSpan Duration) : AttemptOutcome(Duration);

/// <summary>
/// The handler asked to run again later without spending an attempt: it snoozed, or its downstream
/// throttled it. <see cref="QueueBackoffUntil"/> is set for a throttle: the queue (or, for a job with a
/// partition key in a queue with partitions, that key) starts nothing before it.
/// </summary>
internal sealed record Rescheduled(Snooze Write, DateTimeOffset? QueueBackoffUntil, string Reason, TimeSpan Duration) : AttemptOutcome(Duration);

/// <summary>The handler failed for the last time, or with an error that is not retried.</summary>
internal sealed record DeadLettered(DeadLetter Write, Exception Error, bool Retryable, TimeSpan Duration) : AttemptOutcome(Duration);

/// <summary>A person cancelled the job while it ran.</summary>
internal sealed record CancelledWhileRunning(CancelledRun Write, TimeSpan Duration) : AttemptOutcome(Duration);

/// <summary>
/// The handler failed while the queue's circuit breaker was open: the downstream's outage, not the
/// job's fault. The job waits for the breaker's probes without spending the attempt.
/// </summary>
internal sealed record HeldByBreaker(Snooze Write, Exception Error, TimeSpan Duration) : AttemptOutcome(Duration);
