namespace OrleansJobs;

/// <summary>
/// A recurring job: at each occurrence of <see cref="Cron"/> in <see cref="TimeZone"/>, one job of
/// <see cref="JobType"/> with <see cref="Payload"/> is enqueued in the tenant's queue. Each
/// occurrence's job carries the idempotency key <c>schedule:{Id}:{occurrence as Unix ms}</c>, so a
/// crash or a second owner can never enqueue it twice.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record RecurringJob
{
    /// <summary>The tenant that owns the schedule and its jobs.</summary>
    [Id(0)] public required string Tenant { get; init; }

    /// <summary>The schedule's name, unique within the tenant; same pattern as job type names.</summary>
    [Id(1)] public required string Id { get; init; }

    /// <summary>The registered job type each occurrence enqueues.</summary>
    [Id(2)] public required string JobType { get; init; }

    /// <summary>A cron expression of five fields (minute to day of week) or six (seconds first), in Cronos syntax.</summary>
    [Id(3)] public required string Cron { get; init; }

    /// <summary>The IANA (or Windows) time zone the expression is read in. <value>Defaults to UTC.</value></summary>
    [Id(4)] public string TimeZone { get; init; } = "UTC";

    /// <summary>Each job's payload as UTF-8 JSON. <value>Defaults to <c>{}</c>.</value></summary>
    [Id(5)] public byte[] Payload { get; init; } = "{}"u8.ToArray();

    /// <summary>Each job's priority. <value>Defaults to <see cref="JobPriority.Normal"/>.</value></summary>
    [Id(6)] public JobPriority Priority { get; init; } = JobPriority.Normal;

    /// <summary>Each job's attempts, or null for the queue's default.</summary>
    [Id(7)] public int? MaxAttempts { get; init; }

    /// <summary>Each attempt's timeout, or null for the queue's default.</summary>
    [Id(8)] public TimeSpan? Timeout { get; init; }

    /// <summary>What happens to occurrences missed by more than the silo's misfire grace. <value>Defaults to <see cref="MisfirePolicy.FireOnce"/>.</value></summary>
    [Id(9)] public MisfirePolicy Misfire { get; init; } = MisfirePolicy.FireOnce;
}

/// <summary>
/// What a schedule does with occurrences it missed (its silos were all down, or it was paused by
/// an outage) by more than <c>OrleansJobsOptions.ScheduleMisfireGrace</c>. Occurrences late by less
/// than the grace always fire, each once.
/// </summary>
public enum MisfirePolicy
{
    /// <summary>Enqueue one job for all the missed occurrences together (keyed by the latest of them).</summary>
    FireOnce = 0,

    /// <summary>Enqueue nothing for them; carry on from the next occurrence.</summary>
    Skip = 1,
}

/// <summary>A schedule as stored, with where it stands.</summary>
[GenerateSerializer, Immutable]
public sealed record ScheduleInfo
{
    /// <summary>The schedule's definition.</summary>
    [Id(0)] public required RecurringJob Definition { get; init; }

    /// <summary>The next occurrence that will enqueue a job.</summary>
    [Id(1)] public DateTimeOffset? NextOccurrence { get; init; }

    /// <summary>The occurrence that enqueued a job most recently, if any.</summary>
    [Id(2)] public DateTimeOffset? LastOccurrence { get; init; }

    /// <summary>The job that occurrence enqueued.</summary>
    [Id(3)] public JobId? LastJobId { get; init; }

    /// <summary>When the schedule was first created.</summary>
    [Id(4)] public DateTimeOffset CreatedAt { get; init; }

    /// <summary>When its definition last changed.</summary>
    [Id(5)] public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>
    /// Since when a person has it paused; null when it runs. A paused schedule enqueues nothing and
    /// has no next occurrence; resumed, it fires from its next occurrence after then, without making
    /// up the ones it skipped.
    /// </summary>
    [Id(6)] public DateTimeOffset? PausedAt { get; init; }
}

/// <summary>One page of a tenant's schedules, in name order.</summary>
/// <param name="Items">The schedules on this page.</param>
/// <param name="NextCursor">The name to pass as the cursor for the next page; null on the last page.</param>
[GenerateSerializer, Immutable]
public sealed record SchedulePage([property: Id(0)] IReadOnlyList<ScheduleInfo> Items, [property: Id(1)] string? NextCursor);
