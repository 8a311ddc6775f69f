using System.Globalization;
using Hangfire;
using Hangfire.PostgreSql;
using Npgsql;
using OrleansJobs.Bench.Infrastructure;
using OrleansJobs.Bench.Workers;

namespace OrleansJobs.Bench.Systems;

/// <summary>
/// Hangfire with Hangfire.PostgreSql: a server process (<see cref="HangfireWorker"/>) on the same
/// PostgreSQL, and this process as the client, one job per call (open-source Hangfire has no bulk
/// enqueue).
/// </summary>
internal sealed class HangfireSystem : IJobSystem
{
    private readonly string _connection;
    private readonly string _startFile = Path.Combine(Path.GetTempPath(), $"orleansjobs-bench-hangfire-{Guid.NewGuid():N}.txt");
    private readonly BackgroundJobClient _client;
    private ChildProcess? _server;
    private long _heap;

    private HangfireSystem(string connection, int workers)
    {
        _connection = connection;
        var storage = GlobalConfiguration.Configuration.UsePostgreSqlStorage(o => o.UseNpgsqlConnection(connection), HangfireWorker.StorageOptions).Entry;
        _client = new BackgroundJobClient(storage);
        Setup = $"1 server, {workers} workers";
        Settings = new Dictionary<string, string>
        {
            ["hangfire"] = typeof(BackgroundJobServer).Assembly.GetName().Version!.ToString(),
            ["hangfire_postgresql"] = typeof(PostgreSqlStorage).Assembly.GetName().Version!.ToString(),
            ["worker_count"] = workers.ToString(CultureInfo.InvariantCulture),
            ["enable_long_polling"] = HangfireWorker.StorageOptions.EnableLongPolling.ToString(),
            ["invisibility_timeout"] = HangfireWorker.StorageOptions.InvisibilityTimeout.ToString(),
            ["queue_poll_interval"] = HangfireWorker.StorageOptions.QueuePollInterval.ToString(),
            ["schedule_polling_interval"] = "00:00:01",
            ["retry"] = "AutomaticRetry Attempts=1, DelaysInSeconds=[1]",
            ["jobs_per_enqueue_call"] = "1 (no bulk enqueue in Hangfire)",
            ["dotnet_runtime"] = "workstation concurrent GC, thread-pool spin-wait off (Bench.csproj)",
        };
    }

    public string Name => "hangfire";

    public string Setup { get; }

    public IReadOnlyDictionary<string, string> Settings { get; }

    public string? Postgres => _connection;

    public int MaxBatch => 1;

    public static async Task<HangfireSystem> StartAsync(string connection, int workers, string[] queues)
    {
        HangfireWorker.UseBenchRetryRule();
        GlobalConfiguration.Configuration
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer();
        // Constructing the storage installs Hangfire's schema before the server starts.
        var system = new HangfireSystem(connection, workers);
        system._server = await BenchProcess.StartAsync(
            ["hangfire-worker", connection, workers.ToString(CultureInfo.InvariantCulture), system._startFile, .. queues],
            heap => system._heap = heap);
        return system;
    }

    public Task<LoadResult> ProduceAsync(Load load) =>
        LoadDriver.RunAsync(load with { Batch = 1 }, (queue, jobs) =>
        {
            var job = jobs[0];
            // The job carries its queue, so its retry goes back to that queue and not to "default".
            _client.Enqueue<HangfireJobs>(queue, x => x.Run(job, null));
            return Task.CompletedTask;
        });

    public async Task<Progress> ProgressAsync()
    {
        await using var db = new NpgsqlConnection(_connection);
        await db.OpenAsync();
        await using var count = new NpgsqlCommand("""
            SELECT COUNT(*) FILTER (WHERE statename IN ('Succeeded', 'Failed')), COUNT(*) FILTER (WHERE statename = 'Failed')
            FROM hangfire.job;
            """, db);
        await using var reader = await count.ExecuteReaderAsync();
        await reader.ReadAsync();
        return new Progress(reader.GetInt64(0), reader.GetInt64(1));
    }

    public (long Resident, long Heap) Memory() => (_server?.ResidentBytes() ?? 0, _heap);

    public async Task<StartLog> StopAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
            _server = null;
        }

        return StartLog.Collect([_startFile]);
    }

    public async ValueTask DisposeAsync() => await StopAsync();
}
