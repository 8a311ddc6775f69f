using OrleansJobs.Hosting;

namespace OrleansJobs.Tests.Cluster;

/// <summary>A silo with two worker slots and no lease-ahead: its queues may hold two attempts leased at once, all told.</summary>
public abstract class TwoSlotFixture(TestStore store) : SiloFixture("orleansjobs-two-slots-", store)
{
    protected override void AddJobs(Func<Action<OrleansJobsOptions>, OrleansJobsBuilder> configure) =>
        configure(o =>
            {
                o.MaxConcurrentJobsPerSilo = 2;
                o.LeaseAhead = 0;
            })
            .AddJobHandler<ProbePayload, ProbeHandler>(ClusterFixture.Noop);
}

public sealed class SqliteTwoSlotFixture() : TwoSlotFixture(TestStore.Sqlite);

public sealed class PostgresTwoSlotFixture() : TwoSlotFixture(TestStore.Postgres);

/// <summary>
/// A queue leases only what can start soon: however large its concurrency budget, it holds no more
/// attempts than the silo has room for, and a quiet tenant's job waits its turn for room instead of
/// behind jobs leased ahead of it.
/// </summary>
public abstract class WorkerRoomClusterTests(TwoSlotFixture fixture)
{
    private readonly string _flood = "rf" + Guid.NewGuid().ToString("N")[..12];
    private readonly string _quiet = "rq" + Guid.NewGuid().ToString("N")[..12];

    [Fact]
    public async Task A_flooding_queue_leases_no_more_than_the_silo_can_start_and_a_quiet_one_gets_the_next_turn()
    {
        await fixture.Jobs.SetQueuePolicyAsync(_flood, ClusterFixture.Noop, new QueuePolicy { MaxConcurrency = 64 });
        var flood = await fixture.Jobs.EnqueueManyAsync(
            [.. Enumerable.Range(0, 8).Select(_ => new JobRequest(_flood, ClusterFixture.Noop, System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new ProbePayload(DelayMs: 1_000))))]);
        await fixture.Probe.WaitForAsync(() => flood.Count(id => fixture.Probe.Starts(id).Count > 0) == 2, "two flood jobs to take both slots");

        // Before, the queue leased all eight at once (its budget is 64), six of them only to wait for a slot.
        var counts = await fixture.Store.GetQueueCountsAsync(new QueueKey(_flood, ClusterFixture.Noop), default);
        Assert.Equal((2, 6), (counts.Active, counts.Enqueued));

        var quiet = await fixture.Jobs.EnqueueAsync(_quiet, ClusterFixture.Noop, new ProbePayload());
        var quietCounts = await fixture.Store.GetQueueCountsAsync(new QueueKey(_quiet, ClusterFixture.Noop), default);
        Assert.Equal((0, 1), (quietCounts.Active, quietCounts.Enqueued));

        await fixture.Probe.WaitForAsync(() => fixture.Probe.Successes(quiet) == 1, "the quiet job to run");
        var quietStart = fixture.Probe.Starts(quiet)[0].At;
        var floodAhead = flood.Count(id => fixture.Probe.Starts(id) is [var first, ..] && first.At < quietStart);

        // The flood queue was in line first, so it may take the first freed slot; the quiet one the next.
        Assert.InRange(floodAhead, 2, 3);
        await fixture.Probe.WaitForAsync(() => flood.All(id => fixture.Probe.Successes(id) == 1), "the flood to drain, each job once");
    }
}

public sealed class WorkerRoomClusterTestsOnSqlite(SqliteTwoSlotFixture fixture) : WorkerRoomClusterTests(fixture), IClassFixture<SqliteTwoSlotFixture>;

public sealed class WorkerRoomClusterTestsOnPostgres(PostgresTwoSlotFixture fixture) : WorkerRoomClusterTests(fixture), IClassFixture<PostgresTwoSlotFixture>;
