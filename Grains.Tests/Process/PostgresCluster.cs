using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Orleans.Configuration;
using OrleansJobs.Tests.Storage;
using Xunit.Abstractions;

namespace OrleansJobs.Tests.Process;

/// <summary>Silo processes on one fresh PostgreSQL database, an external client, and a view of the jobs table.</summary>
public sealed class PostgresCluster : IAsyncDisposable
{
    private readonly PostgresDatabase _database;
    private readonly int _sampleConcurrency;
    private readonly string[] _siloSettings;
    private readonly SiloProcess?[] _silos;
    private readonly List<(int Index, SiloProcess Silo)> _everStarted = [];
    private readonly (int Silo, int Gateway)[] _ports;
    private IHost? _client;

    private PostgresCluster(PostgresDatabase database, int size, int sampleConcurrency, string[] siloSettings)
    {
        _database = database;
        _sampleConcurrency = sampleConcurrency;
        _siloSettings = siloSettings;
        _silos = new SiloProcess?[size];
        _ports = Enumerable.Range(0, size).Select(_ => (SiloProcess.FreePort(), SiloProcess.FreePort())).ToArray();
    }

    public string ConnectionString => _database.ConnectionString;

    /// <summary>
    /// Starts <paramref name="size"/> silos on a fresh database of <paramref name="server"/> (the suite's server when null),
    /// each with <paramref name="siloSettings"/> (command-line configuration) on top of the cluster's own.
    /// </summary>
    public static async Task<PostgresCluster> StartAsync(int size, int sampleConcurrency, string? server = null, string[]? siloSettings = null)
    {
        var cluster = new PostgresCluster(await PostgresDatabase.CreateAsync(server), size, sampleConcurrency, siloSettings ?? []);
        // The first silo applies the schema; the rest then join in parallel.
        await cluster.StartSiloAsync(0);
        await Task.WhenAll(Enumerable.Range(1, size - 1).Select(cluster.StartSiloAsync));
        return cluster;
    }

    public async Task StartSiloAsync(int index)
    {
        var silo = await SiloProcess.StartClusterSiloAsync(_database.ConnectionString, _ports[index].Silo, _ports[index].Gateway, _sampleConcurrency, _siloSettings);
        _silos[index] = silo;
        lock (_everStarted)
        {
            _everStarted.Add((index, silo));
        }
    }

    /// <summary>Writes the console output of every silo started, crashed and stopped ones too, for a failure's diagnosis.</summary>
    public void WriteSiloLogs(ITestOutputHelper output)
    {
        foreach (var (index, silo) in _everStarted)
        {
            output.WriteLine($"----- silo {index + 1} ({AddressPrefix(index)}) -----");
            output.WriteLine(silo.Output);
        }
    }

    /// <summary>The console output of every silo started so far, in start order.</summary>
    public IReadOnlyList<string> SiloOutputs
    {
        get
        {
            lock (_everStarted)
            {
                return [.. _everStarted.Select(s => s.Silo.Output)];
            }
        }
    }

    /// <summary>
    /// Ends every session on the cluster's database from outside (the silos' pools and the client's
    /// membership reads), as a database restart or an operator's <c>pg_terminate_backend</c> does; returns how many.
    /// </summary>
    public async Task<int> TerminateConnectionsAsync()
    {
        var database = new NpgsqlConnectionStringBuilder(_database.ConnectionString).Database!;
        await using var admin = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(_database.ConnectionString) { Database = "postgres", Pooling = false }.ToString());
        await admin.OpenAsync();
        await using var kill = new NpgsqlCommand("SELECT COUNT(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = @db;", admin);
        kill.Parameters.AddWithValue("db", database);
        return (int)(long)(await kill.ExecuteScalarAsync())!;
    }

    /// <summary>kill -9 of one silo.</summary>
    public void Crash(int index)
    {
        _silos[index]!.Crash();
        _silos[index] = null;
    }

    public async Task StopGracefullyAsync(int index)
    {
        await _silos[index]!.StopGracefullyAsync(TimeSpan.FromSeconds(60));
        await _silos[index]!.DisposeAsync();
        _silos[index] = null;
    }

    /// <summary>The silo address ("127.0.0.1:port:generation") prefix of silo <paramref name="index"/>.</summary>
    public string AddressPrefix(int index) => $"S127.0.0.1:{_ports[index].Silo}:";

    /// <summary>An external client, as a web app would hold: it finds gateways through the membership table.</summary>
    public async Task<IJobClient> ClientAsync()
    {
        if (_client is null)
        {
            var builder = Host.CreateApplicationBuilder();
            builder.Logging.ClearProviders();
            builder.UseOrleansClient(client =>
            {
                client.Configure<ClusterOptions>(o => o.ClusterId = o.ServiceId = "orleansjobs");
                client.UseAdoNetClustering(o =>
                {
                    o.Invariant = "Npgsql";
                    o.ConnectionString = _database.ConnectionString;
                });
            });
            builder.Services.AddOrleansJobsClient();
            _client = builder.Build();
            await _client.StartAsync();
        }

        return _client.Services.GetRequiredService<IJobClient>();
    }

    /// <summary>Enqueues <paramref name="count"/> <c>demo.sleep</c> jobs spread round-robin over <paramref name="tenants"/> tenants, 1 000 per call.</summary>
    public Task<List<JobId>> EnqueueSleepJobsAsync(string tenantPrefix, int tenants, int count, int milliseconds, TimeSpan? delay = null) =>
        EnqueueAsync(tenantPrefix, tenants, count, "demo.sleep", $"{{\"milliseconds\":{milliseconds}}}", delay);

    /// <summary>Enqueues <paramref name="count"/> jobs of <paramref name="jobType"/> spread round-robin over <paramref name="tenants"/> tenants, 1 000 per call.</summary>
    public async Task<List<JobId>> EnqueueAsync(string tenantPrefix, int tenants, int count, string jobType, string payloadJson, TimeSpan? delay = null)
    {
        var jobs = await ClientAsync();
        var payload = System.Text.Encoding.UTF8.GetBytes(payloadJson);
        var options = new EnqueueOptions { Delay = delay };
        var ids = new List<JobId>(count);
        foreach (var chunk in Enumerable.Range(0, count).Chunk(1_000))
        {
            ids.AddRange(await jobs.EnqueueManyAsync(chunk.Select(i => new JobRequest($"{tenantPrefix}{i % tenants}", jobType, payload, options)).ToList()));
        }

        return ids;
    }

    /// <summary>Which silo (index) a silo address string belongs to, or -1.</summary>
    public int SiloIndexOf(string? siloAddress) =>
        siloAddress is null ? -1 : Array.FindIndex(_ports, p => siloAddress.StartsWith($"S127.0.0.1:{p.Silo}:", StringComparison.Ordinal));

    /// <summary>Each job's state, attempts, run-at, start and last silo, read from the jobs table.</summary>
    public async Task<Dictionary<JobId, ClusterJob>> JobsAsync(string tenantPrefix)
    {
        // Unpooled: a pooled connection may predate a database restart a test just made.
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(_database.ConnectionString) { Pooling = false }.ToString());
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT id, state, attempt, run_at, started_at, lease_owner FROM jobs WHERE tenant LIKE @prefix || '%';", connection);
        command.Parameters.AddWithValue("prefix", tenantPrefix);
        var jobs = new Dictionary<JobId, ClusterJob>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            jobs[new JobId(reader.GetGuid(0))] = new ClusterJob(
                (JobState)reader.GetInt16(1),
                reader.GetInt32(2),
                new DateTimeOffset(reader.GetDateTime(3), TimeSpan.Zero),
                reader.IsDBNull(4) ? null : new DateTimeOffset(reader.GetDateTime(4), TimeSpan.Zero),
                reader.IsDBNull(5) ? null : reader.GetString(5));
        }

        return jobs;
    }

    public async Task<int> CountAsync(string tenantPrefix, JobState state) => (await JobsAsync(tenantPrefix)).Values.Count(j => j.State == state);

    /// <summary>Re-reads the jobs table until <paramref name="condition"/> holds.</summary>
    public async Task WaitForAsync(string tenantPrefix, Func<IReadOnlyCollection<ClusterJob>, bool> condition, string what, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition((await JobsAsync(tenantPrefix)).Values))
        {
            if (DateTime.UtcNow > deadline)
            {
                var states = (await JobsAsync(tenantPrefix)).Values.GroupBy(j => j.State).Select(g => $"{g.Key}={g.Count()}");
                throw new TimeoutException($"Timed out after {timeout} waiting for: {what} ({string.Join(", ", states)})");
            }

            await Task.Delay(200);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_client is not null)
        {
            await _client.StopAsync(TimeSpan.FromSeconds(5)).ContinueWith(_ => { });
            _client.Dispose();
        }

        // Crashed and stopped silos too: disposing twice is harmless.
        foreach (var (_, silo) in _everStarted)
        {
            await silo.DisposeAsync();
        }

        await _database.DisposeAsync();
    }
}

public sealed record ClusterJob(JobState State, int Attempt, DateTimeOffset RunAt, DateTimeOffset? StartedAt, string? LastSilo);
