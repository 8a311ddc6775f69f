namespace OrleansJobs.Storage;

/// <summary>
/// One queue's counts in one minute (<paramref name="Minute"/> is the minute's start) and, when the writer
/// owns the queue, its levels as sampled: <paramref name="Backlog"/> due jobs waiting, the oldest for
/// <paramref name="OldestWait"/>. Null levels leave the stored ones as they are.
/// </summary>
internal sealed record QueueMinute(
    QueueKey Queue,
    DateTimeOffset Minute,
    long Enqueued,
    long Succeeded,
    long Failed,
    long DeadLettered,
    long? Backlog,
    TimeSpan? OldestWait)
{
    /// <summary>The start of the minute <paramref name="time"/> falls in, in UTC: the history's key.</summary>
    public static DateTimeOffset StartOf(DateTimeOffset time) => new(time.UtcTicks - (time.UtcTicks % TimeSpan.TicksPerMinute), TimeSpan.Zero);
}

/// <summary>
/// What the overview reads: minutes from <paramref name="From"/> of <paramref name="Tenant"/> (null: every tenant).
/// Levels are each queue's newest sampled from <paramref name="LevelsFrom"/> on, so a queue that stopped reporting
/// (gone idle, deactivated) is not shown with a stale backlog. At most <paramref name="MaxQueues"/> queues in each
/// list: by dead letters then failures, and by oldest wait.
/// </summary>
internal sealed record HistoryQuery(string? Tenant, DateTimeOffset From, DateTimeOffset LevelsFrom, int MaxQueues)
{
    /// <summary>The last <paramref name="minutes"/> whole minutes up to the one <paramref name="now"/> is in, with levels from the minute before it on.</summary>
    public static HistoryQuery Last(string? tenant, int minutes, DateTimeOffset now, int maxQueues)
    {
        var current = QueueMinute.StartOf(now);
        return new HistoryQuery(tenant, current.AddMinutes(-(minutes - 1)), current.AddMinutes(-1), maxQueues);
    }
}

/// <summary>
/// The minutes of a window summed over queues (oldest first), the queues with the most dead letters and
/// failures in it, and the queues' last levels (longest oldest wait first).
/// </summary>
internal sealed record QueueHistory(IReadOnlyList<MinuteTotals> Minutes, IReadOnlyList<QueueActivity> Queues, IReadOnlyList<QueueLevel> Levels);

/// <summary>One minute summed over the queues that reported in it; <paramref name="Backlog"/> sums the levels sampled.</summary>
internal sealed record MinuteTotals(DateTimeOffset Minute, long Enqueued, long Succeeded, long Failed, long DeadLettered, long Backlog);

/// <summary>One queue's counts over the window.</summary>
internal sealed record QueueActivity(QueueKey Queue, long Enqueued, long Succeeded, long Failed, long DeadLettered);

/// <summary>One queue's levels as last sampled: due jobs waiting, and how long the oldest had waited (null: none waited).</summary>
internal sealed record QueueLevel(QueueKey Queue, DateTimeOffset Minute, long Backlog, TimeSpan? OldestWait);
