using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;
using OrleansJobs.Hosting;
using OrleansJobs.Storage;

namespace OrleansJobs.Tests.Cluster;

/// <summary>
/// One in-process silo with the grid on a fresh SQLite file (no fsync: the tests do not crash the
/// machine) and a <see cref="JobProbe"/> for the handlers to report to. A fixture sets the options
/// and adds its job types in <see cref="AddJobs"/>.
/// </summary>
public abstract class SqliteSiloFixture(string folderPrefix) : IAsyncLifetime
{
    private readonly string _folder = Directory.CreateTempSubdirectory(folderPrefix).FullName;

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public JobProbe Probe { get; } = new();

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
        var builder = new InProcessTestClusterBuilder(1);
        var dbPath = Path.Combine(_folder, "jobs.db");
        builder.ConfigureSilo((_, silo) =>
        {
            silo.Services.AddSingleton(Probe);
            AddServices(silo.Services);
            AddJobs(options => silo.AddOrleansJobs(options).UseSqliteStore(o =>
            {
                o.Path = dbPath;
                o.FsyncOnCommit = false;
            }));
        });
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
