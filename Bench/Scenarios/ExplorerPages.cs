using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using OrleansJobs.Bench.Infrastructure;
using OrleansJobs.Hosting;
using OrleansJobs.Http;

namespace OrleansJobs.Bench.Scenarios;

/// <summary>
/// How fast the jobs pages answer over a large store: N jobs (10 million in the full run) are written
/// straight into PostgreSQL over 4 tenants of 5 queues each, half succeeded, a quarter waiting, a tenth
/// scheduled, a tenth dead, the rest cancelled, created over the last 30 days; the tenants are paused so
/// nothing runs. A host with the HTTP API and the pages then serves each page again and again, one request
/// at a time, timed from the client's send to the last byte: queues, a queue's jobs by state (first
/// pages, and pages deep into the succeeded ones by their cursor), dead letters (and filters on a rare,
/// a very rare and a common error text), single jobs, the jobs search across a tenant's job types, and
/// the overview over two days of per-minute history (a row per queue and minute).
/// </summary>
internal static partial class ExplorerPages
{
    private const int Tenants = 4;
    private const int QueuesPerTenant = 5;

    public static async Task<Figure> RunAsync(LocalPostgres postgres, long jobs, int samples)
    {
        var connection = await postgres.CreateDatabaseAsync("bench_explorer");
        var adminKey = "bench-admin-" + Guid.NewGuid().ToString("N");
        await using var host = await StartHostAsync(connection, adminKey);
        await PauseTenantsAsync(connection);
        var seeding = Stopwatch.StartNew();
        await SeedAsync(connection, jobs);
        Console.WriteLine($"  explorer: wrote {jobs:N0} jobs in {seeding.Elapsed.TotalSeconds:F0} s");

        using var client = new HttpClient { BaseAddress = new Uri(host.Urls.First()) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", adminKey);
        var ids = await SampleIdsAsync(connection, samples);
        var deep = await CursorsAsync(client, "/jobs/queue/type-0?tenant=explorer-0&state=succeeded", samples);

        var pages = new (string Name, Func<int, string> Path)[]
        {
            ("queues", _ => "/jobs?tenant=explorer-0"),
            ("queue, enqueued", i => $"/jobs/queue/type-{i % QueuesPerTenant}?tenant=explorer-{i % Tenants}"),
            ("queue, scheduled", i => $"/jobs/queue/type-{i % QueuesPerTenant}?tenant=explorer-{i % Tenants}&state=scheduled"),
            ("queue, succeeded", i => $"/jobs/queue/type-{i % QueuesPerTenant}?tenant=explorer-{i % Tenants}&state=succeeded"),
            ("queue, succeeded, deep", i => deep[i % deep.Count]),
            ("dead letters", i => $"/jobs/dead?tenant=explorer-{i % Tenants}"),
            ("dead letters, rare error", i => $"/jobs/dead?tenant=explorer-{i % Tenants}&error=rare"),
            ("dead letters, very rare error", i => $"/jobs/dead?tenant=explorer-{i % Tenants}&error=very+rare"),
            ("dead letters, common error", i => $"/jobs/dead?tenant=explorer-{i % Tenants}&error=timeout"),
            ("job", i => $"/jobs/job/{ids[i % ids.Count]}"),
            ("jobs search, succeeded, every type", i => $"/jobs/search?tenant=explorer-{i % Tenants}&state=succeeded"),
            ("jobs search, enqueued, every type", i => $"/jobs/search?tenant=explorer-{i % Tenants}&state=enqueued"),
            ("jobs search, dead, rare error", i => $"/jobs/search?tenant=explorer-{i % Tenants}&state=dead&error=rare"),
            ("overview, one tenant", i => $"/jobs/overview?tenant=explorer-{i % Tenants}"),
            ("overview, all tenants", _ => "/jobs/overview"),
        };

        var values = new List<KeyValuePair<string, double?>> { new("jobs in store", jobs) };
        foreach (var (name, path) in pages)
        {
            await GetAsync(client, path(0));
            var times = new double[samples];
            for (var i = 0; i < samples; i++)
            {
                var watch = Stopwatch.StartNew();
                await GetAsync(client, path(i));
                times[i] = watch.Elapsed.TotalMilliseconds;
            }

            values.Add(new($"{name} p50 ms", Percentile.Of(times, 50)));
            values.Add(new($"{name} p99 ms", Percentile.Of(times, 99)));
            Console.WriteLine($"  explorer: {name}: p50 {Percentile.Of(times, 50):F1} ms, p99 {Percentile.Of(times, 99):F1} ms");
        }

        await host.StopAsync();
        await postgres.DropDatabaseAsync("bench_explorer");
        return new Figure("explorer", "OrleansJobs", "1 host, PostgreSQL", jobs, values,
            $"{samples} requests per page, one at a time, after one warm-up; in-process client; deep pages are the succeeded list followed by its cursor up to {samples} pages in");
    }

    private static async Task<WebApplication> StartHostAsync(string connection, string adminKey)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{FreePort.Next()}");
        builder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering(FreePort.Next(), FreePort.Next());
            silo.UseInMemoryReminderService();
            var jobs = silo.AddOrleansJobs().UsePostgresStore(o => o.ConnectionString = connection);
            for (var q = 0; q < QueuesPerTenant; q++)
            {
                // The tenants are paused: the handlers are there for the queues to exist, never run.
                jobs.AddJobHandler<Workers.BenchPayload, Workers.BenchJobHandler>($"type-{q}");
            }
        });
        builder.Services.AddOrleansJobsHttpApi(o => o.AdminKey = adminKey);
        var app = builder.Build();
        app.UseOrleansJobsHttpApi();
        app.MapOrleansJobsHttpApi();
        await app.StartAsync();
        return app;
    }

    private static async Task PauseTenantsAsync(string connection)
    {
        await using var db = new NpgsqlConnection(connection);
        await db.OpenAsync();
        await using var pause = new NpgsqlCommand("""
            INSERT INTO tenant_policies (tenant, policy, updated_at, paused_at)
            SELECT 'explorer-' || t, '{}'::jsonb, now(), now() FROM generate_series(0, @tenants - 1) AS t;
            """, db);
        pause.Parameters.AddWithValue("tenants", Tenants);
        await pause.ExecuteNonQueryAsync();
    }

    private static async Task SeedAsync(string connection, long jobs)
    {
        const long Chunk = 500_000;
        var start = DateTimeOffset.UtcNow.AddDays(-30);
        var spacing = TimeSpan.FromDays(30).TotalMilliseconds / jobs;
        var next = -1L;
        await Task.WhenAll(Enumerable.Range(0, 2).Select(async _ =>
        {
            await using var db = new NpgsqlConnection(connection);
            await db.OpenAsync();
            long chunk;
            while ((chunk = Interlocked.Increment(ref next)) * Chunk < jobs)
            {
                // UUID v7 ids in creation order; g % 20 picks the state: 10 succeeded, 5 enqueued, 2 scheduled, 2 dead, 1 cancelled.
                // g % 4 picks the tenant, so every dead letter (g % 20 of 17 or 18) is explorer-1's or explorer-2's, and
                // the rare error (g % 1000 of 17) explorer-1's alone: explorer-2's filter on it finds none of its 500 000.
                await using var insert = new NpgsqlCommand("""
                    INSERT INTO jobs (id, tenant, job_type, state, priority, created_at, run_at, attempt, max_attempts, timeout_ms,
                                      started_at, finished_at, last_error, payload)
                    SELECT (lpad(to_hex(s.ms), 12, '0') || '7' || lpad(to_hex(s.g % 4096), 3, '0') || '8' || lpad(to_hex(s.g), 15, '0'))::uuid,
                           'explorer-' || (s.g % @tenants), 'type-' || ((s.g / @tenants) % @queues), s.state, (s.g % 3)::smallint,
                           s.at, CASE s.state WHEN 0 THEN s.at + interval '40 days' ELSE s.at END,
                           CASE WHEN s.state IN (1, 0) THEN 0 ELSE 1 END, 3, 300000,
                           CASE WHEN s.state IN (3, 4, 5) THEN s.at END, CASE WHEN s.state IN (3, 4, 5) THEN s.at + interval '1 second' END,
                           CASE WHEN s.state = 5 THEN CASE WHEN s.g % 1000000 IN (117, 518) THEN 'very rare failure' WHEN s.g % 1000 = 17 THEN 'rare failure' ELSE 'timeout after 30 s' END END,
                           convert_to('{"order":' || s.g || ',"email":"customer@example.com"}', 'UTF8')
                    FROM (SELECT g, (@ms + (g * @spacing)::bigint) AS ms, to_timestamp((@ms + g * @spacing) / 1000.0) AS at,
                                 (CASE WHEN g % 20 < 10 THEN 3 WHEN g % 20 < 15 THEN 1 WHEN g % 20 < 17 THEN 0 WHEN g % 20 < 19 THEN 5 ELSE 4 END)::smallint AS state
                          FROM generate_series(@from, @to - 1) AS g) AS s;
                    """, db) { CommandTimeout = 0 };
                insert.Parameters.AddWithValue("ms", start.ToUnixTimeMilliseconds());
                insert.Parameters.AddWithValue("spacing", spacing);
                insert.Parameters.AddWithValue("tenants", (long)Tenants);
                insert.Parameters.AddWithValue("queues", (long)QueuesPerTenant);
                insert.Parameters.AddWithValue("from", chunk * Chunk);
                insert.Parameters.AddWithValue("to", Math.Min(jobs, (chunk + 1) * Chunk));
                await insert.ExecuteNonQueryAsync();
            }
        }));

        // The queues' per-minute history as two days of a busy grid leave it (the default retention): a row per queue and minute.
        await using (var history = new NpgsqlConnection(connection))
        {
            await history.OpenAsync();
            await using var minutes = new NpgsqlCommand("""
                INSERT INTO queue_minutes (tenant, job_type, minute, enqueued, succeeded, failed, dead_lettered, backlog, oldest_wait_ms)
                SELECT 'explorer-' || t, 'type-' || q, m, 600 + (m / 60000 + t + q) % 300, 590 + (m / 60000 + q) % 290, (m / 60000) % 7, (m / 60000) % 3,
                       (m / 60000 + t * q) % 5000, ((m / 60000) % 90) * 1000
                FROM generate_series(0, @tenants - 1) AS t, generate_series(0, @queues - 1) AS q,
                     generate_series(@first, @last, 60000::bigint) AS m;
                """, history);
            var minute = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 60_000 * 60_000;
            minutes.Parameters.AddWithValue("tenants", (long)Tenants);
            minutes.Parameters.AddWithValue("queues", (long)QueuesPerTenant);
            minutes.Parameters.AddWithValue("first", minute - (48 * 60 * 60_000L));
            minutes.Parameters.AddWithValue("last", minute);
            await minutes.ExecuteNonQueryAsync();
        }

        await using var vacuum = new NpgsqlConnection(connection);
        await vacuum.OpenAsync();
        await using var analyze = new NpgsqlCommand("VACUUM (ANALYZE) jobs, queue_minutes;", vacuum) { CommandTimeout = 0 };
        await analyze.ExecuteNonQueryAsync();
    }

    /// <summary>Ids of jobs spread over the store, for the job pages.</summary>
    private static async Task<List<string>> SampleIdsAsync(string connection, int count)
    {
        await using var db = new NpgsqlConnection(connection);
        await db.OpenAsync();
        await using var sample = new NpgsqlCommand("SELECT id FROM jobs TABLESAMPLE SYSTEM (1) LIMIT @n;", db);
        sample.Parameters.AddWithValue("n", count);
        var ids = new List<string>();
        await using var reader = await sample.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            ids.Add(reader.GetGuid(0).ToString());
        }

        return ids;
    }

    /// <summary>The addresses of the pages after the first, following each page's Next link.</summary>
    private static async Task<List<string>> CursorsAsync(HttpClient client, string first, int pages)
    {
        var paths = new List<string>();
        var path = first;
        while (paths.Count < pages && NextLink().Match(await GetAsync(client, path)) is { Success: true } next)
        {
            path = System.Net.WebUtility.HtmlDecode(next.Groups[1].Value);
            paths.Add(path);
        }

        return paths.Count > 0 ? paths : [first];
    }

    private static async Task<string> GetAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"GET {path}: {(int)response.StatusCode}");
        }

        return body;
    }

    [GeneratedRegex("id=\"next-jobs\" href=\"([^\"]+)\"")]
    private static partial Regex NextLink();
}
