using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Orleans.Configuration;
using OrleansJobs.Bench.Infrastructure;
using OrleansJobs.Bench.Workers;

namespace OrleansJobs.Bench.Systems;

/// <summary>
/// OrleansJobs on real silo processes (<see cref="OrleansJobsSilo"/>) and PostgreSQL, driven by an
/// external Orleans client as a web app would drive it.
/// </summary>
internal sealed class OrleansJobsSystem : IJobSystem
{
    private readonly string _connection;
    private readonly List<ChildProcess> _silos = [];
    private readonly List<string> _startFiles = [];
    private readonly long[] _heaps;
    private IHost? _client;
    private IJobClient _jobs = null!;
    private long _enqueued;

    private OrleansJobsSystem(string connection, int silos, string setup, Dictionary<string, string> settings)
    {
        _connection = connection;
        _heaps = new long[silos];
        Setup = setup;
        Settings = settings;
    }

    public string Name => "orleansjobs";

    public string Setup { get; }

    public IReadOnlyDictionary<string, string> Settings { get; }

    public int MaxBatch => 1000;

    /// <summary>The database's connection string, for scenarios that seed it directly.</summary>
    public string Connection => _connection;

    /// <summary>
    /// Starts <paramref name="silos"/> silos on <paramref name="connection"/> (each pinned to the
    /// matching entry of <paramref name="cpuLists"/>, if given) and a client.
    /// </summary>
    public static async Task<OrleansJobsSystem> StartAsync(string connection, int silos, int concurrency, string[]? cpuLists = null, long alreadyEnqueued = 0)
    {
        var pinning = cpuLists is null ? "none" : string.Join(" ", cpuLists.Select((c, i) => $"silo{i + 1}:cpu{c}"));
        var system = new OrleansJobsSystem(connection, silos, $"{silos} silo{(silos == 1 ? "" : "s")}", new Dictionary<string, string>
        {
            ["max_concurrency_per_queue"] = concurrency.ToString(CultureInfo.InvariantCulture),
            ["max_concurrent_jobs_per_silo"] = new Hosting.OrleansJobsOptions().MaxConcurrentJobsPerSilo.ToString(CultureInfo.InvariantCulture),
            ["group_commits_in_flight_per_silo"] = new Storage.Postgres.PostgresStoreOptions().ConcurrentWrites.ToString(CultureInfo.InvariantCulture),
            ["max_rows_per_group_commit"] = new Hosting.OrleansJobsOptions().MaxWriteBatchRows.ToString(CultureInfo.InvariantCulture),
            ["retry"] = "2 attempts, 1 s apart",
            ["silo_host"] = "AddOrleansJobs().UsePostgres, no HTTP API or dashboard, log level Warning",
            ["cpu_pinning"] = pinning,
        })
        { _enqueued = alreadyEnqueued };
        try
        {
            for (var i = 0; i < silos; i++)
            {
                var index = i;
                var starts = Path.Combine(Path.GetTempPath(), $"orleansjobs-bench-starts-{Guid.NewGuid():N}.txt");
                system._startFiles.Add(starts);
                // One at a time: the first silo applies the schema.
                system._silos.Add(await BenchProcess.StartAsync(
                    ["orleansjobs-silo", connection, FreePort.Next().ToString(CultureInfo.InvariantCulture), FreePort.Next().ToString(CultureInfo.InvariantCulture), concurrency.ToString(CultureInfo.InvariantCulture), starts],
                    heap => system._heaps[index] = heap,
                    cpuLists?[i]));
            }

            system._client = await ConnectAsync(connection);
            system._jobs = system._client.Services.GetRequiredService<IJobClient>();
            return system;
        }
        catch
        {
            await system.DisposeAsync();
            throw;
        }
    }

    public async Task<LoadResult> ProduceAsync(Load load)
    {
        var result = await LoadDriver.RunAsync(load, (queue, jobs) => jobs.Length == 1
            ? _jobs.EnqueueAsync(queue, OrleansJobsSilo.JobType, jobs[0])
            : _jobs.EnqueueManyAsync([.. jobs.Select(j => new JobRequest(queue, OrleansJobsSilo.JobType, j.ToUtf8()))]));
        Interlocked.Add(ref _enqueued, load.Count);
        return result;
    }

    public async Task<Progress> ProgressAsync()
    {
        await using var db = new NpgsqlConnection(_connection);
        await db.OpenAsync();
        // Each filter is served by its state's partial index, so the cost is the unfinished work, not the history.
        await using var count = new NpgsqlCommand("""
            SELECT (SELECT COUNT(*) FROM jobs WHERE state = 0) + (SELECT COUNT(*) FROM jobs WHERE state = 1) + (SELECT COUNT(*) FROM jobs WHERE state = 2),
                   (SELECT COUNT(*) FROM jobs WHERE state = 5);
            """, db);
        await using var reader = await count.ExecuteReaderAsync();
        await reader.ReadAsync();
        return new Progress(Interlocked.Read(ref _enqueued) - reader.GetInt64(0), reader.GetInt64(1));
    }

    public (long Resident, long Heap) Memory() => (_silos.Sum(s => s.ResidentBytes()), _heaps.Sum());

    public async Task<StartLog> StopAsync()
    {
        if (_client is not null)
        {
            await _client.StopAsync();
            _client.Dispose();
            _client = null;
        }

        foreach (var silo in _silos)
        {
            await silo.DisposeAsync();
        }

        _silos.Clear();
        var log = StartLog.Read(_startFiles);
        foreach (var file in _startFiles)
        {
            File.Delete(file);
        }

        return log;
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    private static async Task<IHost> ConnectAsync(string connection)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.UseOrleansClient(client =>
        {
            client.Configure<ClusterOptions>(o => o.ClusterId = o.ServiceId = "bench");
            client.UseAdoNetClustering(o =>
            {
                o.Invariant = "Npgsql";
                o.ConnectionString = connection;
            });
        });
        builder.Services.AddOrleansJobsClient();
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }
}
