using System.Diagnostics;
using Npgsql;

namespace OrleansJobs.Bench.Scenarios;

/// <summary>
/// One-row inserts, each committed on its own, at a fixed rate on a connection of their own to a
/// system's PostgreSQL database, into a table no system touches: what any durable write on that
/// server waited in the same window, a floor no job system on it can start a job below.
/// </summary>
internal static class StoreFloor
{
    /// <summary>The commit latencies, ms, of inserts sent at <paramref name="rate"/> per second for <paramref name="duration"/>; none without a database.</summary>
    public static async Task<double[]> MeasureAsync(string? postgres, TimeSpan duration, double rate)
    {
        if (postgres is null)
        {
            return [];
        }

        await using var db = new NpgsqlConnection(postgres);
        await db.OpenAsync();
        await using (var create = new NpgsqlCommand("CREATE TABLE IF NOT EXISTS bench_store_floor (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now());", db))
        {
            await create.ExecuteNonQueryAsync();
        }

        await using var insert = new NpgsqlCommand("INSERT INTO bench_store_floor DEFAULT VALUES;", db);
        var latencies = new List<double>();
        var clock = Stopwatch.StartNew();
        for (var sent = 0; clock.Elapsed < duration; sent++)
        {
            // Open loop like the trickle: a slow commit does not push the next one back. The clock is
            // read once, since on a busy machine a second reading can already be past the due time.
            var wait = TimeSpan.FromSeconds(sent / rate) - clock.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait);
            }

            var started = Stopwatch.GetTimestamp();
            await insert.ExecuteNonQueryAsync();
            latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        return [.. latencies];
    }
}
