using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;
using OrleansJobs.Retention;
using OrleansJobs.Storage;

namespace OrleansJobs.Tests.Cluster;

/// <summary>One silo on SQLite that keeps succeeded jobs for a moment only and dead letters for good.</summary>
public sealed class ShortRetentionFixture : IAsyncLifetime
{
    private readonly string _folder = Directory.CreateTempSubdirectory("orleansjobs-retention-").FullName;

    public JobProbe Probe { get; } = new();

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public IJobClient Jobs => Cluster.GetSiloServiceProvider().GetRequiredService<IJobClient>();

    internal IJobStore Store => Cluster.GetSiloServiceProvider().GetRequiredService<IJobStore>();

    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(1);
        var dbPath = Path.Combine(_folder, "jobs.db");
        builder.ConfigureSilo((_, silo) =>
            ClusterFixture.AddJobsOnSqlite(silo, Probe, dbPath, o =>
                {
                    o.SucceededRetention = TimeSpan.FromMilliseconds(1);
                    o.DeadLetterRetention = null;
                })
                .AddJobHandler<ProbePayload, ProbeHandler>(ClusterFixture.Noop, t => t.MaxAttempts = 1));
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        await Cluster.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }
}

public sealed class RetentionClusterTests(ShortRetentionFixture fixture) : IClassFixture<ShortRetentionFixture>
{
    private readonly string _tenant = "r" + Guid.NewGuid().ToString("N")[..12];

    [Fact]
    public async Task The_sweep_deletes_succeeded_jobs_past_retention_and_keeps_dead_letters()
    {
        var ok = await fixture.Jobs.EnqueueAsync(_tenant, ClusterFixture.Noop, new ProbePayload());
        var bad = await fixture.Jobs.EnqueueAsync(_tenant, ClusterFixture.Noop, new ProbePayload(Fail: true));
        await fixture.Probe.WaitForAsync(
            async () => (await fixture.Jobs.GetStatusAsync(_tenant, ok))?.State == JobState.Succeeded
                && (await fixture.Jobs.GetStatusAsync(_tenant, bad))?.State == JobState.Dead,
            "one job to succeed and one to be dead-lettered");

        var sweeper = fixture.Cluster.Client.GetGrain<IRetentionGrain>(0);
        await fixture.Probe.WaitForAsync(
            async () =>
            {
                await sweeper.SweepAsync();
                return await fixture.Jobs.GetStatusAsync(_tenant, ok) is null;
            },
            "the sweep to delete the succeeded job");

        Assert.NotNull(await fixture.Jobs.GetDeadLetterAsync(_tenant, bad));
        var counts = await fixture.Store.GetQueueCountsAsync(new QueueKey(_tenant, ClusterFixture.Noop), default);
        Assert.Equal((0L, 1L), (counts.Succeeded, counts.Dead));
    }
}
