using OrleansJobs.Queues;
using OrleansJobs.Storage;

namespace OrleansJobs.Tests.Unit;

public sealed class ReadyWindowTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.Parse("2026-01-01T00:00:00Z");
    private readonly JobIdGenerator _ids = new(TimeProvider.System);

    private ReadyJob Job(JobPriority priority, int seconds = 0) => new(_ids.Next(), priority, T0.AddSeconds(seconds));

    [Fact]
    public void Takes_jobs_by_priority_then_run_at_then_id()
    {
        var window = new ReadyWindow(10);
        var lowEarly = Job(JobPriority.Low, 0);
        var normalLate = Job(JobPriority.Normal, 5);
        var normalEarly = Job(JobPriority.Normal, 1);
        var normalEarlySameTime = Job(JobPriority.Normal, 1);
        var high = Job(JobPriority.High, 9);
        foreach (var job in new[] { lowEarly, normalLate, normalEarlySameTime, normalEarly, high })
        {
            Assert.False(window.Offer(job));
        }

        var order = new List<ReadyJob>();
        while (window.TryTakeFirst(out var job))
        {
            order.Add(job);
        }

        Assert.Equal([high, normalEarly, normalEarlySameTime, normalLate, lowEarly], order);
    }

    [Fact]
    public void A_full_window_keeps_the_best_jobs_and_reports_what_spills()
    {
        var window = new ReadyWindow(2);
        var a = Job(JobPriority.Normal, 1);
        var b = Job(JobPriority.Normal, 2);
        Assert.False(window.Offer(a));
        Assert.False(window.Offer(b));

        var worse = Job(JobPriority.Low);
        Assert.True(window.Offer(worse));
        Assert.False(window.Contains(worse.Id));

        var better = Job(JobPriority.High);
        Assert.True(window.Offer(better));
        Assert.True(window.Contains(better.Id));
        Assert.False(window.Contains(b.Id));
        Assert.Equal(2, window.Count);

        // What spilled (worse) and what was evicted (b) both run after the window's last job, so a page read after it finds them.
        Assert.Equal(a, window.Last);
        Assert.True(window.TryTakeFirst(out _) && window.TryTakeFirst(out _));
        Assert.Null(window.Last);
    }

    [Fact]
    public void Offering_a_job_twice_or_removing_it_keeps_counts_right()
    {
        var window = new ReadyWindow(4);
        var job = Job(JobPriority.Normal);
        window.Offer(job);
        Assert.False(window.Offer(job));
        Assert.Equal(1, window.Count);
        Assert.True(window.Remove(job.Id));
        Assert.False(window.Remove(job.Id));
        Assert.False(window.TryTakeFirst(out _));
    }
}
