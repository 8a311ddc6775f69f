using OrleansJobs.Hosting;
using OrleansJobs.Policies;

namespace OrleansJobs.Tests.Cluster;

/// <summary>One in-process silo on a fresh store, with the test job types, shared by a test collection.</summary>
public abstract class ClusterFixture(TestStore store) : SiloFixture("orleansjobs-cluster-", store)
{
    public const string Noop = "test.noop";
    public const string Flaky = "test.flaky";
    public const string Slow = "test.slow";
    public const string Stubborn = "test.stubborn";
    public const string StubbornLong = "test.stubborn-long";
    public const int SlowConcurrency = 4;

    /// <summary>Flaky jobs' backoff: nominal 100 ms, 400 ms, 1.6 s; each actual delay lies in [nominal/2, nominal].</summary>
    public static readonly RetryPolicy FlakyRetry = new() { BaseDelay = TimeSpan.FromMilliseconds(100), Factor = 4, MaxDelay = TimeSpan.FromSeconds(10) };

    protected override void AddJobs(Func<Action<OrleansJobsOptions>, OrleansJobsBuilder> configure) =>
        configure(o =>
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
}

/// <summary>The cluster tests' silo on SQLite, the embedded default.</summary>
public sealed class SqliteClusterFixture() : ClusterFixture(TestStore.Sqlite);

/// <summary>The cluster tests' silo on PostgreSQL, the production store.</summary>
public sealed class PostgresClusterFixture() : ClusterFixture(TestStore.Postgres);

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<SqliteClusterFixture>
{
    public const string Name = "cluster";
}

[CollectionDefinition(Name)]
public sealed class PostgresClusterCollection : ICollectionFixture<PostgresClusterFixture>
{
    public const string Name = "cluster on postgres";
}
