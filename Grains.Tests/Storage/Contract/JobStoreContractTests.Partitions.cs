using OrleansJobs.Storage;

namespace OrleansJobs.Tests.Storage;

/// <summary>Partition keys: stored with the job, carried by every ready page, and read key by key for the queue's turn-taking.</summary>
public abstract partial class JobStoreContractTests
{
    private NewJob Keyed(string? partition, JobPriority priority = JobPriority.Normal, DateTimeOffset? runAt = null, QueueKey? queue = null) =>
        NewJob(queue, priority, runAt) with { PartitionKey = partition };

    [Fact]
    public async Task Ready_pages_and_promotions_carry_the_partition_key()
    {
        var keyed = Keyed("customer-1");
        var plain = Keyed(null, runAt: T0.AddSeconds(-1));
        var later = Keyed("customer-2", runAt: T0.AddSeconds(5));
        await InsertAsync(keyed, plain, later);

        var page = await Store.ReadReadyAsync(Queue(), null, 10, default);
        var promoted = await PromoteDueAsync(Queue(), T0.AddSeconds(5), 10);

        Assert.Equal([new ReadyJob(plain.Id, plain.Priority, plain.RunAt), new ReadyJob(keyed.Id, keyed.Priority, keyed.RunAt, "customer-1")], page);
        Assert.Equal([new ReadyJob(later.Id, later.Priority, later.RunAt, "customer-2")], promoted.Promoted);
    }

    [Fact]
    public async Task Partition_heads_are_each_keys_first_due_jobs_in_run_order_key_by_key()
    {
        // Key "a" has a backlog; its run order puts its high-priority job first.
        var a = Enumerable.Range(0, 6).Select(i => Keyed("a", runAt: T0.AddSeconds(-i))).ToArray();
        var aHigh = Keyed("a", JobPriority.High);
        var b = Keyed("b");
        var empty = Keyed("");
        var c = Enumerable.Range(0, 3).Select(i => Keyed("c", runAt: T0.AddSeconds(i - 10))).ToArray();
        var unkeyed = Keyed(null);
        var otherQueue = Keyed("b", queue: Queue("other.type"));
        var scheduled = Keyed("d", runAt: T0.AddMinutes(1));
        await InsertAsync([.. a, aHigh, b, empty, .. c, unkeyed, otherQueue, scheduled]);
        var leasedB = Keyed("b", runAt: T0.AddSeconds(-30));
        await InsertAsync(leasedB);
        Assert.NotNull(await LeaseAsync(leasedB.Id));

        var heads = await Store.ReadPartitionHeadsAsync(new PartitionHeadsRequest(Queue(), null, [], Keys: 10, PerKey: 2), default);

        Assert.Equal([empty.Id, aHigh.Id, a[5].Id, b.Id, c[0].Id, c[1].Id], heads.Jobs.Select(j => j.Id));
        Assert.Equal(["", "a", "a", "b", "c", "c"], heads.Jobs.Select(j => j.Partition));
        Assert.True(heads.Ended);
    }

    [Fact]
    public async Task Partition_heads_skip_the_keys_asked_and_go_on_from_the_last_key_read()
    {
        var jobs = new[] { "k1", "k2", "k3", "k4", "k5" }.Select(k => Keyed(k)).ToArray();
        await InsertAsync(jobs);

        var first = await Store.ReadPartitionHeadsAsync(new PartitionHeadsRequest(Queue(), null, ["k2"], Keys: 2, PerKey: 5), default);
        var next = await Store.ReadPartitionHeadsAsync(new PartitionHeadsRequest(Queue(), first.LastKey, ["k4"], Keys: 2, PerKey: 5), default);
        var last = await Store.ReadPartitionHeadsAsync(new PartitionHeadsRequest(Queue(), next.LastKey, [], Keys: 2, PerKey: 5), default);

        Assert.Equal(["k1", "k3"], first.Jobs.Select(j => j.Partition));
        Assert.Equal("k3", first.LastKey);
        Assert.False(first.Ended);
        Assert.Equal(["k5"], next.Jobs.Select(j => j.Partition));
        Assert.True(next.Ended);
        Assert.Empty(last.Jobs);
        Assert.True(last.Ended);
    }

    [Fact]
    public async Task A_read_that_takes_its_keys_before_the_last_one_found_does_not_end_the_round()
    {
        await InsertAsync(Keyed("k1"), Keyed("k2"), Keyed("k3"));

        // Left-out keys the queue no longer has make room in the scan past the keys taken (seed 8663).
        var first = await Store.ReadPartitionHeadsAsync(new PartitionHeadsRequest(Queue(), null, ["gone-1", "gone-2"], Keys: 2, PerKey: 1), default);
        var next = await Store.ReadPartitionHeadsAsync(new PartitionHeadsRequest(Queue(), first.LastKey, ["gone-1", "gone-2"], Keys: 2, PerKey: 1), default);

        Assert.Equal(["k1", "k2"], first.Jobs.Select(j => j.Partition));
        Assert.False(first.Ended);
        Assert.Equal(["k3"], next.Jobs.Select(j => j.Partition));
        Assert.True(next.Ended);
    }
}
