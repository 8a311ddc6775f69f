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
    private readonly long[] _finished;
    private IHost? _client;
    private IJobClient _jobs = null!;

    private OrleansJobsSystem(string connection, int silos, string setup, Dictionary<string, string> settings)
    {
        _connection = connection;
        _heaps = new long[silos];
        _finished = new long[silos];
        Setup = setup;
        Settings = settings;
    }

    public string Name => "orleansjobs";

    public string Setup { get; }

    public IReadOnlyDictionary<string, string> Settings { get; }

    public int MaxBatch => 1000;

    public string? Postgres => _connection;

    /// <summary>
    /// Starts <paramref name="silos"/> silos on <paramref name="connection"/> (each pinned to the
    /// matching entry of <paramref name="cpuLists"/>, if given) and a client. Each silo's worker pool
    /// has <paramref name="slotsPerSilo"/> slots, or the grid's default.
    /// </summary>
    public static async Task<OrleansJobsSystem> StartAsync(string connection, int silos, int concurrency, string[]? cpuLists = null, int? slotsPerSilo = null)
    {
        var slots = slotsPerSilo ?? new Hosting.OrleansJobsOptions().MaxConcurrentJobsPerSilo;
        var pinning = cpuLists is null ? "none" : string.Join(" ", cpuLists.Select((c, i) => $"silo{i + 1}:cpu{c}"));
        var system = new OrleansJobsSystem(connection, silos, $"{silos} silo{(silos == 1 ? "" : "s")}", new Dictionary<string, string>
        {
            ["max_concurrency_per_queue"] = concurrency.ToString(CultureInfo.InvariantCulture),
            ["max_concurrent_jobs_per_silo"] = slots.ToString(CultureInfo.InvariantCulture),
            ["group_commits_in_flight_per_silo"] = new Storage.Postgres.PostgresStoreOptions().ConcurrentWrites.ToString(CultureInfo.InvariantCulture),
            ["max_rows_per_group_commit"] = new Hosting.OrleansJobsOptions().MaxWriteBatchRows.ToString(CultureInfo.InvariantCulture),
            ["retry"] = "2 attempts, 1 s apart",
            ["silo_host"] = "AddOrleansJobs().UsePostgres, no HTTP API or dashboard, log level Warning",
            ["cpu_pinning"] = pinning,
            ["dotnet_runtime"] = "workstation concurrent GC, thread-pool spin-wait off (Bench.csproj)",
        });
        try
        {
            for (var i = 0; i < silos; i++)
            {
                var index = i;
                var starts = Path.Combine(Path.GetTempPath(), $"orleansjobs-bench-starts-{Guid.NewGuid():N}.txt");
                system._startFiles.Add(starts);
                // One at a time: the first silo applies the schema.
                system._silos.Add(await BenchProcess.StartAsync(
                    ["orleansjobs-silo", connection, FreePort.Next().ToString(CultureInfo.InvariantCulture), FreePort.Next().ToString(CultureInfo.InvariantCulture), concurrency.ToString(CultureInfo.InvariantCulture), slots.ToString(CultureInfo.InvariantCulture), starts],
                    heap => system._heaps[index] = heap,
                    cpuLists?[i],
                    finished => Volatile.Write(ref system._finished[index], finished)));
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

    public Task<LoadResult> ProduceAsync(Load load) =>
        LoadDriver.RunAsync(load, (queue, jobs) => jobs.Length == 1
            ? _jobs.EnqueueAsync(queue, OrleansJobsSilo.JobType, jobs[0])
            : _jobs.EnqueueManyAsync([.. jobs.Select(j => new JobRequest(queue, OrleansJobsSilo.JobType, j.ToUtf8()))]));

    /// <summary>
    /// Finished jobs as the silos count them (outcomes whose write committed), since jobs already
    /// waiting in the database when the system started; dead letters counted in the store itself,
    /// so the retries check does not rest on the grid's own counters. Counting the unfinished jobs
    /// instead cost PostgreSQL a scan of the whole backlog every 100 ms, which at 10 M waiting
    /// jobs was most of the database's CPU.
    /// </summary>
    public async Task<Progress> ProgressAsync()
    {
        await using var db = new NpgsqlConnection(_connection);
        await db.OpenAsync();
        await using var dead = new NpgsqlCommand("SELECT COUNT(*) FROM jobs WHERE state = 5;", db);
        long finished = 0;
        for (var i = 0; i < _finished.Length; i++)
        {
            finished += Volatile.Read(ref _finished[i]);
        }

        return new Progress(finished, (long)(await dead.ExecuteScalarAsync())!);
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
        return StartLog.Collect(_startFiles);
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
