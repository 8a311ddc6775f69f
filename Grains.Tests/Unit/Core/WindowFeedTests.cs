using OrleansJobs.Queues.Core;
using OrleansJobs.Storage;

namespace OrleansJobs.Tests.Unit.Core;

public sealed class WindowFeedTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.Parse("2026-01-01T00:00:00Z");
    private readonly JobIdGenerator _ids = new(TimeProvider.System);

    private ReadyJob Job(int seconds, JobPriority priority = JobPriority.Normal) => new(_ids.Next(), priority, T0.AddSeconds(seconds));

    [Fact]
    public void A_short_page_read_from_the_top_mirrors_the_store()
    {
        var feed = new WindowFeed(4);
        feed.MarkStoreHasMore();
        var read = feed.StartRead(force: true, leasing: 0)!;
        Assert.Null(read.After);
        Assert.Equal(4, read.Limit);

        feed.PageRead(read, [Job(1), Job(2)], _ => false);

        Assert.Equal(StoreView.Mirrored, feed.View);
        Assert.Equal(PageReading.Idle, feed.Reading);
        Assert.Null(feed.StartRead(force: true, leasing: 0));
    }

    [Fact]
    public void A_full_page_leaves_more_after_the_window_so_a_job_offered_past_its_end_waits_in_the_store_for_its_page()
    {
        var feed = new WindowFeed(2);
        feed.MarkStoreHasMore();
        var first = feed.StartRead(force: true, leasing: 0)!;
        var (a, b) = (Job(1), Job(2));
        feed.PageRead(first, [a, b], _ => false);
        Assert.Equal(StoreView.MoreAfterWindow, feed.View);

        var page = feed.StartRead(force: false, leasing: 0);
        Assert.Null(page); // two of two in the window: not low yet
        feed.TryTakeFirst(out _);
        feed.TryTakeFirst(out _);
        var next = feed.StartRead(force: false, leasing: 0)!;
        Assert.Null(next.After); // the window is empty: its last is gone, so it reads from the top
        feed.Offer(Job(3));
        Assert.Equal(0, feed.Count);
    }

    /// <summary>Found by the simulator (seed 86): a job that stayed in the store while a page was read could be skipped by every later read.</summary>
    [Fact]
    public void A_job_left_in_the_store_during_a_read_that_runs_before_the_pages_last_makes_the_next_read_start_at_the_top()
    {
        var feed = new WindowFeed(4);
        feed.MarkStoreHasMore();
        var fourth = Job(4);
        feed.PageRead(feed.StartRead(force: true, leasing: 0)!, [Job(1), Job(2), Job(3), fourth], _ => false);
        for (var i = 0; i < 3; i++)
        {
            feed.TryTakeFirst(out _);
        }

        var read = feed.StartRead(force: false, leasing: 0)!;
        Assert.Equal(fourth, read.After);

        // While that read is in flight, a job arrives that runs after the window's last: it stays in the store.
        var early = Job(5);
        feed.Offer(early);
        Assert.False(feed.Contains(early.Id));

        // The page, read before that job was stored, goes past it.
        feed.PageRead(read, [Job(6), Job(9)], _ => false);

        Assert.Equal(StoreView.MoreAnywhere, feed.View);
        Assert.Null(feed.StartRead(force: true, leasing: 0)!.After);
    }

    /// <summary>
    /// Found by the long simulation run (seed 59304): a full page covers the store only up to its last
    /// job; a job offered while it was read that runs after that one left a gap the next read skipped.
    /// </summary>
    [Fact]
    public void After_a_full_page_the_window_ends_with_the_pages_last_so_the_next_read_misses_nothing()
    {
        var feed = new WindowFeed(4);
        feed.MarkStoreHasMore();
        var (h1, h2, h3, h4, h9, n1) = (Job(1, JobPriority.High), Job(2, JobPriority.High), Job(3, JobPriority.High), Job(4, JobPriority.High), Job(9, JobPriority.High), Job(1));
        feed.PageRead(feed.StartRead(force: true, leasing: 0)!, [h1, h2, n1], _ => false);
        Assert.Equal(StoreView.Mirrored, feed.View);

        feed.MarkStoreHasMore();
        var read = feed.StartRead(force: true, leasing: 0)!;
        feed.Offer(h9);
        Assert.True(feed.Contains(h9.Id));
        feed.TryTakeFirst(out _);
        feed.TryTakeFirst(out _);

        // Read before h1 and h2 were leased: they fill half the page, and h5 to h8 lie past its end.
        feed.PageRead(read, [h1, h2, h3, h4], id => id == h1.Id || id == h2.Id);

        Assert.Equal(h4, feed.Last);
        Assert.False(feed.Contains(h9.Id));
        Assert.Equal(StoreView.MoreAfterWindow, feed.View);
        Assert.Equal(h4, feed.StartRead(force: true, leasing: 0)!.After);
    }

    [Fact]
    public void A_full_page_that_brings_nothing_new_stalls_reading_until_a_lease_settles()
    {
        var feed = new WindowFeed(2);
        feed.MarkStoreHasMore();
        var read = feed.StartRead(force: true, leasing: 1)!;
        Assert.Equal(3, read.Limit);
        var held = Job(1);

        // Only rows being leased came back (and the window already had what else there was).
        feed.PageRead(read, [held, held, held], id => id == held.Id);

        Assert.Equal(PageReading.Stalled, feed.Reading);
        Assert.Null(feed.StartRead(force: false, leasing: 1));
        feed.LeaseSettled();
        Assert.NotNull(feed.StartRead(force: false, leasing: 0));
    }

    [Fact]
    public void A_failed_read_reads_from_the_top_next()
    {
        var feed = new WindowFeed(4);
        feed.MarkStoreHasMore();
        var first = feed.StartRead(force: true, leasing: 0)!;
        feed.PageRead(first, [Job(1), Job(2), Job(3), Job(4)], _ => false);
        feed.TryTakeFirst(out _);
        feed.TryTakeFirst(out _);
        feed.TryTakeFirst(out _);
        var read = feed.StartRead(force: false, leasing: 0)!;
        Assert.NotNull(read.After);

        feed.PageReadFailed();

        Assert.Equal(StoreView.MoreAnywhere, feed.View);
        Assert.Null(feed.StartRead(force: false, leasing: 0)!.After);
    }
}
