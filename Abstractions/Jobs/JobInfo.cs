namespace OrleansJobs;

/// <summary>A job's current status.</summary>
[GenerateSerializer, Immutable]
public sealed record JobInfo
{
    /// <summary>The job's id.</summary>
    [Id(0)] public required JobId Id { get; init; }

    /// <summary>The tenant that owns it.</summary>
    [Id(1)] public required string Tenant { get; init; }

    /// <summary>Its job type.</summary>
    [Id(2)] public required string JobType { get; init; }

    /// <summary>Where it is in its life.</summary>
    [Id(3)] public required JobState State { get; init; }

    /// <summary>Its priority.</summary>
    [Id(4)] public required JobPriority Priority { get; init; }

    /// <summary>Attempts started so far (since the last replay).</summary>
    [Id(5)] public required int Attempt { get; init; }

    /// <summary>Attempts allowed before it is dead-lettered.</summary>
    [Id(6)] public required int MaxAttempts { get; init; }

    /// <summary>When it was stored.</summary>
    [Id(7)] public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>When it is (or was) due to run.</summary>
    [Id(8)] public required DateTimeOffset RunAt { get; init; }

    /// <summary>
    /// When its latest attempt's handler started. While that attempt is still running, when it was
    /// leased: the handler's own start (after any wait for a worker slot) is recorded with its outcome.
    /// </summary>
    [Id(9)] public DateTimeOffset? StartedAt { get; init; }

    /// <summary>When it reached a final state or the dead-letter queue.</summary>
    [Id(10)] public DateTimeOffset? FinishedAt { get; init; }

    /// <summary>The latest attempt's error message, if any attempt failed.</summary>
    [Id(11)] public string? LastError { get; init; }

    /// <summary>How many times a person replayed it from the dead-letter queue.</summary>
    [Id(12)] public int ReplayCount { get; init; }

    /// <summary>The idempotency key it was enqueued with.</summary>
    [Id(13)] public string? IdempotencyKey { get; init; }

    /// <summary>
    /// The silo that ran its latest attempt (a silo it spilled over to included). While that attempt
    /// is still running, the silo that leased it.
    /// </summary>
    [Id(14)] public string? LastSilo { get; init; }
}

/// <summary>One failed attempt, as kept in the dead-letter queue.</summary>
[GenerateSerializer, Immutable]
public sealed record JobAttemptError
{
    /// <summary>The attempt number (1 for the first try after enqueue or replay).</summary>
    [Id(0)] public required int Attempt { get; init; }

    /// <summary>When it failed.</summary>
    [Id(1)] public required DateTimeOffset FailedAt { get; init; }

    /// <summary>The silo that ran it.</summary>
    [Id(2)] public required string Silo { get; init; }

    /// <summary>The exception's full type name.</summary>
    [Id(3)] public required string ErrorType { get; init; }

    /// <summary>The exception's message.</summary>
    [Id(4)] public required string Message { get; init; }

    /// <summary>The exception's stack trace, inner exceptions included.</summary>
    [Id(5)] public string? StackTrace { get; init; }

    /// <summary>When its handler started; null when it never did (a lost attempt) or the row predates version 18 of the schema.</summary>
    [Id(6)] public DateTimeOffset? StartedAt { get; init; }

    /// <summary>
    /// What came of the job: <see cref="JobState.Scheduled"/> to run again, <see cref="JobState.Dead"/> or
    /// <see cref="JobState.Cancelled"/>; null for rows written before version 18 of the schema.
    /// </summary>
    [Id(7)] public JobState? MovedTo { get; init; }
}

/// <summary>A dead-lettered job with everything needed to understand and replay it.</summary>
[GenerateSerializer, Immutable]
public sealed record DeadLetteredJob
{
    /// <summary>The job's status.</summary>
    [Id(0)] public required JobInfo Job { get; init; }

    /// <summary>The payload as UTF-8 JSON.</summary>
    [Id(1)] public required byte[] Payload { get; init; }

    /// <summary>Every failed attempt, oldest first, across replays.</summary>
    [Id(2)] public required IReadOnlyList<JobAttemptError> Errors { get; init; }
}

/// <summary>Selects dead-lettered jobs of one tenant for listing or replay. Unset fields match everything.</summary>
[GenerateSerializer, Immutable]
public sealed record DeadLetterFilter
{
    /// <summary>Only jobs of this type.</summary>
    [Id(0)] public string? JobType { get; init; }

    /// <summary>Only jobs dead-lettered at or after this time.</summary>
    [Id(1)] public DateTimeOffset? From { get; init; }

    /// <summary>Only jobs dead-lettered before this time.</summary>
    [Id(2)] public DateTimeOffset? To { get; init; }

    /// <summary>Only jobs whose last error contains this text (case-sensitive).</summary>
    [Id(3)] public string? ErrorContains { get; init; }
}

/// <summary>One page of dead-lettered jobs, newest first.</summary>
[GenerateSerializer, Immutable]
public sealed record DeadLetterPage
{
    /// <summary>The jobs on this page.</summary>
    [Id(0)] public required IReadOnlyList<JobInfo> Jobs { get; init; }

    /// <summary>Pass as the cursor to read the next page; null on the last page.</summary>
    [Id(1)] public JobId? NextCursor { get; init; }
}
