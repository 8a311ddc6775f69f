using OrleansJobs.Execution;

namespace OrleansJobs.Tests.Unit;

public sealed class FairSchedulerTests
{
    private static List<string> Drain(FairScheduler<string, string> scheduler, int count)
    {
        var taken = new List<string>();
        while (taken.Count < count && scheduler.TryDequeue(out var item))
        {
            taken.Add(item);
        }

        return taken;
    }

    [Fact]
    public void A_small_queue_is_served_at_once_behind_a_huge_one()
    {
        var scheduler = new FairScheduler<string, string>();
        for (var i = 0; i < 100_000; i++)
        {
            scheduler.Enqueue("a", 1, $"a{i}");
        }

        for (var i = 0; i < 10; i++)
        {
            scheduler.Enqueue("b", 1, $"b{i}");
        }

        var first = Drain(scheduler, 20);

        Assert.Equal(10, first.Count(x => x.StartsWith('b')));
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"b{i}"), first.Where(x => x.StartsWith('b')));
        Assert.Equal(100_000 - 10, scheduler.Count);
    }

    [Fact]
    public void Weights_share_turns_in_proportion()
    {
        var scheduler = new FairScheduler<string, string>();
        for (var i = 0; i < 1_000; i++)
        {
            scheduler.Enqueue("gold", 3, "gold");
            scheduler.Enqueue("basic", 1, "basic");
        }

        var first = Drain(scheduler, 400);

        Assert.Equal(300, first.Count(x => x == "gold"));
        Assert.Equal(100, first.Count(x => x == "basic"));
    }

    [Fact]
    public void Items_of_one_queue_keep_their_order_and_every_item_comes_out_once()
    {
        var scheduler = new FairScheduler<string, string>();
        foreach (var (key, n) in new[] { ("x", 5), ("y", 3), ("z", 1) })
        {
            for (var i = 0; i < n; i++)
            {
                scheduler.Enqueue(key, 1, $"{key}{i}");
            }
        }

        var all = Drain(scheduler, 100);

        Assert.Equal(9, all.Count);
        Assert.Equal(["x0", "y0", "z0", "x1", "y1", "x2", "y2", "x3", "x4"], all);
        Assert.False(scheduler.TryDequeue(out _));
        Assert.Equal(0, scheduler.Count);
    }

    [Fact]
    public void A_queue_that_went_idle_rejoins_at_the_back_without_saved_credit()
    {
        var scheduler = new FairScheduler<string, string>();
        scheduler.Enqueue("a", 5, "a0");
        Assert.Equal(["a0"], Drain(scheduler, 10));

        scheduler.Enqueue("b", 1, "b0");
        scheduler.Enqueue("b", 1, "b1");
        scheduler.Enqueue("a", 5, "a1");
        Assert.Equal(["b0", "a1", "b1"], Drain(scheduler, 10));
    }
}
