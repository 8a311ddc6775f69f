using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;
using OrleansJobs.Hosting;
using OrleansJobs.Storage;
using OrleansJobs.Tests.Storage;

namespace OrleansJobs.Tests.Cluster;

/// <summary>Which store an in-process silo keeps its jobs in.</summary>
public enum TestStore
{
    /// <summary>A fresh SQLite file (no fsync: the tests do not crash the machine).</summary>
    Sqlite,

    /// <summary>A fresh database on the suite's PostgreSQL server.</summary>
    Postgres,
}

/// <summary>
/// One in-process silo with the grid on a fresh store and a <see cref="JobProbe"/> for the handlers
/// to report to. A fixture sets the options and adds its job types in <see cref="AddJobs"/>.
/// </summary>
public abstract class SiloFixture(string folderPrefix, TestStore store = TestStore.Sqlite) : IAsyncLifetime
{
    private readonly string _folder = Directory.CreateTempSubdirectory(folderPrefix).FullName;
    private PostgresDatabase? _database;

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public JobProbe Probe { get; } = new();

    public TestStore StoreKind => store;

    public IJobClient Jobs => Cluster.GetSiloServiceProvider().GetRequiredService<IJobClient>();

    internal IJobStore Store => Cluster.GetSiloServiceProvider().GetRequiredService<IJobStore>();

    /// <summary>Sets the grid's options on <paramref name="configure"/>'s builder and adds the fixture's job types.</summary>
    protected abstract void AddJobs(Func<Action<OrleansJobsOptions>, OrleansJobsBuilder> configure);

    /// <summary>Registers what the fixture's silo needs besides the grid, before the grid's own defaults.</summary>
    protected virtual void AddServices(IServiceCollection services)
    {
    }

    public async Task InitializeAsync()
    {
        if (store == TestStore.Postgres)
        {
            _database = await PostgresDatabase.CreateAsync();
        }

        var builder = new InProcessTestClusterBuilder(1);
        var dbPath = Path.Combine(_folder, "jobs.db");
        builder.ConfigureSilo((_, silo) =>
        {
            silo.Services.AddSingleton(Probe);
            AddServices(silo.Services);
            if (_database is { } database)
            {
                silo.UseInMemoryReminderService();
                AddJobs(options => silo.AddOrleansJobs(options).UsePostgresStore(o => o.ConnectionString = database.ConnectionString));
            }
            else
            {
                AddJobs(options => silo.AddOrleansJobs(options).UseSqliteStore(o =>
                {
                    o.Path = dbPath;
                    o.FsyncOnCommit = false;
                }));
            }
        });
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        await Cluster.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }
}
