using OrleansJobs.Storage;

namespace OrleansJobs.Tests.Storage;

/// <summary>The queues' per-minute history: silos add their counts, set levels, the overview reads sums and last levels, retention trims.</summary>
public abstract partial class JobStoreContractTests
{
    private QueueMinute Minute(string type, int minute, long enqueued = 0, long succeeded = 0, long failed = 0, long dead = 0, long? backlog = null, int? oldestSeconds = null) =>
        new(Queue(type), T0.AddMinutes(minute), enqueued, succeeded, failed, dead, backlog, oldestSeconds is { } s ? TimeSpan.FromSeconds(s) : null);

    [Fact]
    public async Task Counts_of_one_minute_from_several_writers_add_up_and_levels_are_the_last_sampled()
    {
        await Store.RecordMinutesAsync([Minute("a", 0, enqueued: 5, succeeded: 2, backlog: 10, oldestSeconds: 3), Minute("b", 0, failed: 1)], default);
        // Another silo adds to the same minute without levels (it does not own the queue): the levels stay.
        await Store.RecordMinutesAsync([Minute("a", 0, enqueued: 1, succeeded: 4, dead: 1)], default);
        // The owner samples again later in the minute: the levels move, the counts add.
        await Store.RecordMinutesAsync([Minute("a", 0, succeeded: 1, backlog: 7, oldestSeconds: 90)], default);
        await Store.RecordMinutesAsync([Minute("a", 1, enqueued: 3, backlog: 4)], default);

        var history = await Store.ReadHistoryAsync(new HistoryQuery(_tenant, T0, T0, 100), default);

        Assert.Equal(
            [new MinuteTotals(T0, 6, 7, 1, 1, 7), new MinuteTotals(T0.AddMinutes(1), 3, 0, 0, 0, 4)],
            history.Minutes);
        Assert.Equal(
            [new QueueActivity(Queue("a"), 9, 7, 0, 1), new QueueActivity(Queue("b"), 0, 0, 1, 0)],
            history.Queues);
        // Each queue's newest sampled levels only; b never sampled any.
        Assert.Equal([new QueueLevel(Queue("a"), T0.AddMinutes(1), 4, null)], history.Levels);
    }

    [Fact]
    public async Task The_history_read_keeps_to_its_tenant_its_window_and_its_limit()
    {
        await Store.RecordMinutesAsync(
        [
            Minute("old", -90, enqueued: 100),
            Minute("a", 0, dead: 1, backlog: 1, oldestSeconds: 5),
            Minute("b", 0, dead: 3, backlog: 2, oldestSeconds: 50),
            Minute("c", 0, failed: 9, backlog: 3, oldestSeconds: 500),
            Minute("d", -30, backlog: 9, oldestSeconds: 9_000),
        ], default);
        var elsewhere = new QueueKey("x" + _tenant, "a");
        await Store.RecordMinutesAsync([new QueueMinute(elsewhere, T0, 50, 50, 50, 50, 50, TimeSpan.FromHours(1))], default);

        var history = await Store.ReadHistoryAsync(new HistoryQuery(_tenant, T0.AddMinutes(-59), T0.AddMinutes(-1), 2), default);

        Assert.Equal([T0.AddMinutes(-30), T0], history.Minutes.Select(m => m.Minute));
        Assert.Equal(0, history.Minutes.Sum(m => m.Enqueued));
        // Most dead letters, then most failures, at most two.
        Assert.Equal([Queue("b"), Queue("a")], history.Queues.Select(q => q.Queue));
        // Levels from the last minutes only (d reported half an hour ago), longest wait first, at most two.
        Assert.Equal([Queue("c"), Queue("b")], history.Levels.Select(l => l.Queue));

        var everyone = await Store.ReadHistoryAsync(new HistoryQuery(null, T0, T0, 10_000), default);
        Assert.Contains(everyone.Queues, q => q.Queue == elsewhere);
        Assert.Contains(everyone.Queues, q => q.Queue == Queue("b"));
    }

    [Fact]
    public async Task Retention_deletes_minutes_older_than_its_cutoff_a_page_at_a_time()
    {
        var ancient = DateTimeOffset.Parse("1990-01-01T00:00:00Z");
        await Store.RecordMinutesAsync(
        [
            new QueueMinute(Queue("a"), ancient, 1, 0, 0, 0, null, null),
            new QueueMinute(Queue("b"), ancient, 1, 0, 0, 0, null, null),
            new QueueMinute(Queue("a"), ancient.AddMinutes(1), 1, 0, 0, 0, null, null),
        ], default);

        Assert.Equal(1, await Store.DeleteMinutesAsync(ancient.AddSeconds(30), 1, default));
        Assert.Equal(1, await Store.DeleteMinutesAsync(ancient.AddSeconds(30), 10, default));
        Assert.Equal(0, await Store.DeleteMinutesAsync(ancient.AddSeconds(30), 10, default));

        var left = await Store.ReadHistoryAsync(new HistoryQuery(_tenant, ancient, ancient, 10), default);
        Assert.Equal([ancient.AddMinutes(1)], left.Minutes.Select(m => m.Minute));
    }
}
