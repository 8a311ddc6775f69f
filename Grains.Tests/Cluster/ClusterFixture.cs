using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;
using OrleansJobs.Hosting;
using OrleansJobs.Policies;
using OrleansJobs.Storage;

namespace OrleansJobs.Tests.Cluster;

/// <summary>One in-process silo on a fresh SQLite file, with the test job types, shared by a test collection.</summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public const string Noop = "test.noop";
    public const string Flaky = "test.flaky";
    public const string Slow = "test.slow";
    public const string Stubborn = "test.stubborn";
    public const string StubbornLong = "test.stubborn-long";
    public const int SlowConcurrency = 4;

    /// <summary>Flaky jobs' backoff: nominal 100 ms, 400 ms, 1.6 s; each actual delay lies in [nominal/2, nominal].</summary>
    public static readonly RetryPolicy FlakyRetry = new() { BaseDelay = TimeSpan.FromMilliseconds(100), Factor = 4, MaxDelay = TimeSpan.FromSeconds(10) };

    private readonly string _folder = Directory.CreateTempSubdirectory("orleansjobs-cluster-").FullName;

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public JobProbe Probe { get; } = new();

    public IJobClient Jobs => Cluster.GetSiloServiceProvider().GetRequiredService<IJobClient>();

    internal IJobStore Store => Cluster.GetSiloServiceProvider().GetRequiredService<IJobStore>();

    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(1);
        var dbPath = Path.Combine(_folder, "jobs.db");
        builder.ConfigureSilo((_, silo) =>
        {
            AddJobsOnSqlite(silo, Probe, dbPath, o =>
                {
                    o.AbandonGrace = TimeSpan.FromMilliseconds(300);
                    o.HousekeepingInterval = TimeSpan.FromSeconds(1);
                })
                .AddJobHandler<ProbePayload, ProbeHandler>(Noop, t => t.MaxConcurrency = 64)
                .AddJobHandler<ProbePayload, ProbeHandler>(Flaky, t =>
                {
                    t.MaxAttempts = 4;
                    t.Retry = FlakyRetry;
                })
                .AddJobHandler<ProbePayload, ProbeHandler>(Slow, t => t.MaxConcurrency = SlowConcurrency)
                .AddJobHandler<ProbePayload, StubbornHandler>(Stubborn, t =>
                {
                    t.MaxAttempts = 1;
                    t.Timeout = TimeSpan.FromMilliseconds(200);
                })
                .AddJobHandler<ProbePayload, StubbornHandler>(StubbornLong, t => t.Timeout = TimeSpan.FromMinutes(1));
        });
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    /// <summary>
    /// The grid on a SQLite file at <paramref name="dbPath"/> (no fsync: the tests do not crash the machine),
    /// with <paramref name="probe"/> for the handlers to report to. Add the job types on the result.
    /// </summary>
    internal static OrleansJobsBuilder AddJobsOnSqlite(ISiloBuilder silo, JobProbe probe, string dbPath, Action<OrleansJobsOptions> configure)
    {
        silo.Services.AddSingleton(probe);
        return silo.AddOrleansJobs(configure).UseSqliteStore(o =>
        {
            o.Path = dbPath;
            o.FsyncOnCommit = false;
        });
    }

    public async Task DisposeAsync()
    {
        await Cluster.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}
