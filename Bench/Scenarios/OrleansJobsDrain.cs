using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Orleans.Configuration;
using OrleansJobs.Bench.Infrastructure;

namespace OrleansJobs.Bench.Scenarios;

/// <summary>
/// OrleansJobs on real silo processes and PostgreSQL, driven by an external client: producers
/// enqueue no-op jobs (<c>demo.sleep</c> of 0 ms) in bulk over several queues, and the store says
/// when they are done.
/// </summary>
internal sealed class OrleansJobsDrain(LocalPostgres postgres, int silos, int jobs, int queues, int producers, int batch, int concurrency)
{
    private const string JobType = "demo.sleep";
    private static readonly byte[] Payload = Encoding.UTF8.GetBytes("""{"milliseconds":0}""");

    public async Task<DrainResult> RunAsync(TextWriter log)
    {
        var connection = await postgres.CreateDatabaseAsync($"bench_orleansjobs_{silos}");
        var hosts = new List<SiloHost>();
        try
        {
            for (var i = 0; i < silos; i++)
            {
                hosts.Add(await SiloHost.StartAsync(connection, concurrency));
            }

            using var client = await ConnectAsync(connection);
            var grid = client.Services.GetRequiredService<IJobClient>();

            // Warm up every queue (activation, JIT, connection pools) before the clock starts.
            await grid.EnqueueManyAsync([.. Enumerable.Range(0, queues).Select(q => new JobRequest(Tenant(q), JobType, Payload))]);
            await WaitForSucceededAsync(connection, queues, TimeSpan.FromMinutes(2), hosts, null);

            log.WriteLine($"  orleansjobs ×{silos}: enqueueing {jobs} jobs over {queues} queues ({producers} producers, {batch} per call)");
            var started = DateTimeOffset.UtcNow;
            var clock = Stopwatch.StartNew();
            var next = -1;
            await Task.WhenAll(Enumerable.Range(0, producers).Select(async _ =>
            {
                int call;
                while ((call = Interlocked.Increment(ref next)) * batch < jobs)
                {
                    var size = Math.Min(batch, jobs - call * batch);
                    var tenant = Tenant(call % queues);
                    await grid.EnqueueManyAsync([.. Enumerable.Range(0, size).Select(_ => new JobRequest(tenant, JobType, Payload))]);
                }
            }));
            var enqueueSeconds = clock.Elapsed.TotalSeconds;

            long peakRss = 0;
            await WaitForSucceededAsync(connection, queues + jobs, TimeSpan.FromMinutes(30), hosts, rss => peakRss = Math.Max(peakRss, rss));
            var (firstStart, lastFinish) = await TimelineAsync(connection, started);
            return new DrainResult(
                "orleansjobs",
                $"{silos} silo(s)",
                jobs,
                enqueueSeconds,
                jobs / enqueueSeconds,
                jobs / Math.Max(0.001, (lastFinish - firstStart).TotalSeconds),
                (lastFinish - started).TotalSeconds,
                peakRss,
                new Dictionary<string, string>
                {
                    ["queues"] = queues.ToString(CultureInfo.InvariantCulture),
                    ["producers"] = producers.ToString(CultureInfo.InvariantCulture),
                    ["jobs_per_enqueue_call"] = batch.ToString(CultureInfo.InvariantCulture),
                    ["max_concurrency_per_queue"] = concurrency.ToString(CultureInfo.InvariantCulture),
                    ["max_concurrent_jobs_per_silo"] = "256",
                    ["per_job_logging"] = "off (log level Warning)",
                });
        }
        finally
        {
            foreach (var host in hosts)
            {
                await host.DisposeAsync();
            }
        }
    }

    private static string Tenant(int queue) => $"bench-{queue}";

    private static async Task<IHost> ConnectAsync(string connection)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.UseOrleansClient(client =>
        {
            client.Configure<ClusterOptions>(o => o.ClusterId = o.ServiceId = "orleansjobs");
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

    private static async Task WaitForSucceededAsync(string connection, long expected, TimeSpan timeout, List<SiloHost> hosts, Action<long>? onRss)
    {
        await using var db = new NpgsqlConnection(connection);
        await db.OpenAsync();
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            onRss?.Invoke(hosts.Sum(h => h.ResidentBytes()));
            await using var count = new NpgsqlCommand("SELECT COUNT(*) FROM jobs WHERE state = 3;", db);
            if ((long)(await count.ExecuteScalarAsync())! >= expected)
            {
                return;
            }

            if (deadline.Elapsed > timeout)
            {
                throw new TimeoutException($"Only part of {expected} jobs finished within {timeout}.");
            }

            await Task.Delay(200);
        }
    }

    private static async Task<(DateTimeOffset FirstStart, DateTimeOffset LastFinish)> TimelineAsync(string connection, DateTimeOffset since)
    {
        await using var db = new NpgsqlConnection(connection);
        await db.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT MIN(started_at), MAX(finished_at) FROM jobs WHERE state = 3 AND created_at >= @since;", db);
        command.Parameters.AddWithValue("since", since.UtcDateTime);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (new DateTimeOffset(reader.GetDateTime(0), TimeSpan.Zero), new DateTimeOffset(reader.GetDateTime(1), TimeSpan.Zero));
    }
}
