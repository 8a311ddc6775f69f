using OrleansJobs.Hosting;
using OrleansJobs.Maintenance;
using OrleansJobs.Storage;

namespace OrleansJobs.Tests.Cluster;

/// <summary>One silo that keeps succeeded jobs for a moment only and dead letters for good.</summary>
public abstract class ShortRetentionFixture(TestStore store) : SiloFixture("orleansjobs-retention-", store)
{
    protected override void AddJobs(Func<Action<OrleansJobsOptions>, OrleansJobsBuilder> configure) =>
        configure(o =>
            {
                o.SucceededRetention = TimeSpan.FromMilliseconds(1);
                o.DeadLetterRetention = null;
            })
            .AddJobHandler<ProbePayload, ProbeHandler>(ClusterFixture.Noop, t => t.MaxAttempts = 1);
}

public sealed class SqliteShortRetentionFixture() : ShortRetentionFixture(TestStore.Sqlite);

public sealed class PostgresShortRetentionFixture() : ShortRetentionFixture(TestStore.Postgres);

public abstract class RetentionClusterTests(ShortRetentionFixture fixture)
{
    private readonly string _tenant = "r" + Guid.NewGuid().ToString("N")[..12];

    [Fact]
    public async Task The_sweep_deletes_succeeded_jobs_past_retention_and_keeps_dead_letters()
    {
        // Two queues' succeeded jobs: the sweep goes through them a queue at a time.
        var otherTenant = _tenant + "-b";
        var ok = await fixture.Jobs.EnqueueAsync(_tenant, ClusterFixture.Noop, new ProbePayload());
        var otherOk = await fixture.Jobs.EnqueueAsync(otherTenant, ClusterFixture.Noop, new ProbePayload());
        var bad = await fixture.Jobs.EnqueueAsync(_tenant, ClusterFixture.Noop, new ProbePayload(Fail: true));
        await fixture.Probe.WaitForAsync(
            async () => (await fixture.Jobs.GetStatusAsync(_tenant, ok))?.State == JobState.Succeeded
                && (await fixture.Jobs.GetStatusAsync(otherTenant, otherOk))?.State == JobState.Succeeded
                && (await fixture.Jobs.GetStatusAsync(_tenant, bad))?.State == JobState.Dead,
            "two jobs to succeed and one to be dead-lettered");

        var sweeper = fixture.Cluster.Client.GetGrain<IRetentionGrain>(0);
        await fixture.Probe.WaitForAsync(
            async () =>
            {
                await sweeper.SweepAsync();
                return await fixture.Jobs.GetStatusAsync(_tenant, ok) is null && await fixture.Jobs.GetStatusAsync(otherTenant, otherOk) is null;
            },
            "the sweep to delete both succeeded jobs");

        Assert.NotNull(await fixture.Jobs.GetDeadLetterAsync(_tenant, bad));
        var counts = await fixture.Store.GetQueueCountsAsync(new QueueKey(_tenant, ClusterFixture.Noop), default);
        Assert.Equal((0L, 1L), (counts.Succeeded, counts.Dead));
    }
}

public sealed class RetentionClusterTestsOnSqlite(SqliteShortRetentionFixture fixture) : RetentionClusterTests(fixture), IClassFixture<SqliteShortRetentionFixture>;

public sealed class RetentionClusterTestsOnPostgres(PostgresShortRetentionFixture fixture) : RetentionClusterTests(fixture), IClassFixture<PostgresShortRetentionFixture>;
