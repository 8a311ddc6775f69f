using Npgsql;
using OrleansJobs.Bench.Infrastructure;
using OrleansJobs.Bench.Systems;
using OrleansJobs.Bench.Workers;

namespace OrleansJobs.Bench.Scenarios;

/// <summary>
/// Per-job cost against queue length: a backlog of W ready jobs is written straight into the jobs
/// table (as if producers had filled it while the grid was down), then one silo starts and works
/// it. The rate is taken from the handler starts between the 20th and 80th percentile of the jobs
/// measured, so silo start-up and the tail do not count; memory is the silo's peak meanwhile.
/// A measurement is well under a second of work, so it is repeated in rounds, each topping the
/// backlog up to W again and starting a fresh silo, and the median is reported.
/// </summary>
internal static class BacklogScale
{
    private const int Queues = 12;

    public static async Task<Figure> RunAsync(LocalPostgres postgres, long waiting, int measured, int concurrency, int rounds, int tag)
    {
        var connection = await postgres.CreateDatabaseAsync("bench_backlog");
        // A first start applies the schema; the backlog is written while no silo runs.
        await (await OrleansJobsSystem.StartAsync(connection, 1, concurrency)).DisposeAsync();
        var rates = new List<double>();
        long peakResident = 0, peakHeap = 0;
        string name = "", setup = "";
        for (var round = 0; round < rounds; round++)
        {
            var missing = waiting - await WaitingAsync(connection);
            Console.WriteLine($"  backlog: writing {missing:N0} ready jobs over {Queues} queues ({waiting:N0} waiting)");
            await SeedAsync(connection, missing, tag);

            await using var system = await OrleansJobsSystem.StartAsync(connection, 1, concurrency);
            var (_, resident, heap) = await Completion.WaitAsync(system, measured, TimeSpan.FromMinutes(30));
            var starts = await system.StopAsync();
            var times = starts.StartTimes(tag).Take(measured).ToArray();
            var (from, to) = (times[(int)(times.Length * 0.2)], times[(int)(times.Length * 0.8)]);
            rates.Add((times.Length * 0.6) / Math.Max(1e-6, (to - from) / 1e6));
            (peakResident, peakHeap) = (Math.Max(peakResident, resident), Math.Max(peakHeap, heap));
            (name, setup) = (system.Name, system.Setup);
        }

        await postgres.DropDatabaseAsync("bench_backlog");
        return new Figure("backlog", name, setup, waiting,
        [
            new("waiting", waiting),
            new("measured jobs", measured),
            new("processed/s", Percentile.Of([.. rates], 50)),
            new("peak RSS MiB", peakResident / (double)(1 << 20)),
            new("peak GC heap MiB", peakHeap / (double)(1 << 20)),
        ], $"rate from handler starts between the 20th and 80th percentile of the measured jobs; median of {rates.Count} round(s), "
           + $"each on a backlog topped up to {waiting:N0} and a fresh silo: {string.Join(", ", rates.Select(r => r.ToString("F0", System.Globalization.CultureInfo.InvariantCulture)))} jobs/s");
    }

    /// <summary>Jobs ready or leased (a stopped silo's leased jobs run again): what the next silo finds waiting.</summary>
    private static async Task<long> WaitingAsync(string connection)
    {
        await using var db = new NpgsqlConnection(connection);
        await db.OpenAsync();
        await using var count = new NpgsqlCommand("SELECT COALESCE(SUM(n), 0)::bigint FROM job_counts WHERE state IN (1, 2);", db);
        return (long)(await count.ExecuteScalarAsync())!;
    }

    private static async Task SeedAsync(string connection, long waiting, int tag)
    {
        const long Chunk = 500_000;
        // Ids carry the time of this call and the row number, so a top-up never reuses an earlier id.
        var now = DateTimeOffset.UtcNow;
        var payload = $$"""{"t":{{BenchPayload.UnixMicros()}},"r":{{tag}},"f":0,"p":0,"c":0}""";
        var next = -1L;
        await Task.WhenAll(Enumerable.Range(0, 2).Select(async _ =>
        {
            await using var db = new NpgsqlConnection(connection);
            await db.OpenAsync();
            long chunk;
            while ((chunk = Interlocked.Increment(ref next)) * Chunk < waiting)
            {
                // UUID v7 layout (48-bit ms, version 7, variant 8) with the row number as the tail:
                // ids in time order, as the grid makes them.
                await using var insert = new NpgsqlCommand("""
                    INSERT INTO jobs (id, tenant, job_type, state, priority, created_at, run_at, max_attempts, timeout_ms, payload)
                    SELECT (lpad(to_hex(@ms + g / 1000), 12, '0') || '7' || lpad(to_hex(g % 4096), 3, '0') || '8' || lpad(to_hex(g), 15, '0'))::uuid,
                           'bench-' || (g % @queues), @type, 1, 1, @now, @now, 2, 300000, convert_to(@payload, 'UTF8')
                    FROM generate_series(@from, @to - 1) AS g;
                    """, db) { CommandTimeout = 0 };
                insert.Parameters.AddWithValue("ms", now.ToUnixTimeMilliseconds());
                insert.Parameters.AddWithValue("queues", (long)Queues);
                insert.Parameters.AddWithValue("type", OrleansJobsSilo.JobType);
                insert.Parameters.AddWithValue("now", now.UtcDateTime);
                insert.Parameters.AddWithValue("payload", payload);
                insert.Parameters.AddWithValue("from", chunk * Chunk);
                insert.Parameters.AddWithValue("to", Math.Min(waiting, (chunk + 1) * Chunk));
                await insert.ExecuteNonQueryAsync();
            }
        }));

        await using var db = new NpgsqlConnection(connection);
        await db.OpenAsync();
        // A backlog that has sat for a while has been vacuumed; start from that, not from autovacuum's first pass.
        await using var vacuum = new NpgsqlCommand("VACUUM (ANALYZE) jobs;", db) { CommandTimeout = 0 };
        await vacuum.ExecuteNonQueryAsync();
    }
}
