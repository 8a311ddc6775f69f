using System.Diagnostics;
using Npgsql;
using NpgsqlTypes;
using OrleansJobs.Bench.Infrastructure;

namespace OrleansJobs.Bench.Scenarios;

/// <summary>
/// The store's own limit for the same durable work, with no job system: insert N job rows in
/// batches, then mark them done in batches, from parallel connections, each batch one commit.
/// Measured twice: as the issue defines it (one write per job), and with the job marked started,
/// its payload read back, in a commit of its own before it is marked done: the least a system that
/// re-runs the attempts of a crashed worker must write, whatever else it does.
/// </summary>
internal sealed class PostgresCeiling(LocalPostgres postgres, int jobs, int workers, int batch)
{
    /// <summary>
    /// Runs the ceiling <paramref name="runs"/> times, each on a fresh database, and reports the
    /// median: single runs of the same code have differed by more than 2× here (checkpoints and
    /// autovacuum land in one run's update phase and not another's), so one figure alone misleads.
    /// </summary>
    public async Task<IReadOnlyList<Figure>> RunAsync(TextWriter log, int runs) =>
    [
        await RunAsync(log, runs, leased: false),
        await RunAsync(log, runs, leased: true),
    ];

    private async Task<Figure> RunAsync(TextWriter log, int runs, bool leased)
    {
        var results = new List<(double Insert, double Complete)>();
        for (var run = 1; run <= runs; run++)
        {
            log.WriteLine($"  postgres ceiling{(leased ? " with a lease" : "")}, run {run} of {runs}: inserting then completing {jobs} rows ({workers} connections, {batch} per commit)");
            results.Add(await RunOnceAsync(leased));
        }

        var processed = results.Select(r => jobs / r.Complete).Order().ToArray();
        var process = leased
            ? "process is UPDATE … SET state = 2 … RETURNING payload, then UPDATE … SET state = 3, two commits per batch (a lease, no handler, two writes per job)"
            : "process is UPDATE … WHERE id = ANY (no handler, no lease, one write per job)";
        return new Figure("drain", "postgres ceiling", leased ? "no job system, leased first" : "no job system", jobs,
        [
            new("enqueue/s", Percentile.Of([.. results.Select(r => jobs / r.Insert)], 50)),
            new("processed/s", Percentile.Of(processed, 50)),
        ], $"{workers} connections, {batch} rows per commit; enqueue is INSERT … SELECT FROM unnest, {process}; median of {runs} run(s) on fresh databases, processed/s {string.Join(" / ", processed.Select(p => p.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)))}");
    }

    /// <summary>One run on a fresh database: seconds to insert every row, then seconds to complete them.</summary>
    private async Task<(double Insert, double Complete)> RunOnceAsync(bool leased)
    {
        var connection = await postgres.CreateDatabaseAsync("bench_ceiling");
        await using (var db = new NpgsqlConnection(connection))
        {
            await db.OpenAsync();
            await using var create = new NpgsqlCommand("""
                CREATE TABLE ceiling_jobs (
                    id uuid PRIMARY KEY, queue text NOT NULL, state smallint NOT NULL, payload bytea NOT NULL,
                    created_at timestamptz NOT NULL, started_at timestamptz, finished_at timestamptz);
                CREATE INDEX ix_ceiling_ready ON ceiling_jobs (queue, created_at) WHERE state = 1;
                """, db);
            await create.ExecuteNonQueryAsync();
        }

        var ids = Enumerable.Range(0, jobs).Select(_ => Guid.CreateVersion7()).ToArray();
        var payload = "{\"milliseconds\":0}"u8.ToArray();
        var insert = await TimeBatchesAsync(connection, ids, async (db, slice) =>
        {
            await using var command = new NpgsqlCommand(
                "INSERT INTO ceiling_jobs (id, queue, state, payload, created_at) SELECT id, 'q', 1, @payload, now() FROM unnest(@ids) AS u(id);", db);
            command.Parameters.Add(new NpgsqlParameter("ids", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = slice });
            command.Parameters.AddWithValue("payload", payload);
            await command.ExecuteNonQueryAsync();
        });
        var complete = await TimeBatchesAsync(connection, ids, async (db, slice) =>
        {
            if (leased)
            {
                await using var lease = new NpgsqlCommand("UPDATE ceiling_jobs SET state = 2, started_at = now() WHERE id = ANY(@ids) AND state = 1 RETURNING id, payload;", db);
                lease.Parameters.Add(new NpgsqlParameter("ids", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = slice });
                await using var reader = await lease.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                {
                    _ = reader.GetFieldValue<byte[]>(1);
                }
            }

            await using var command = new NpgsqlCommand($"UPDATE ceiling_jobs SET state = 3, finished_at = now() WHERE id = ANY(@ids) AND state = {(leased ? 2 : 1)};", db);
            command.Parameters.Add(new NpgsqlParameter("ids", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = slice });
            await command.ExecuteNonQueryAsync();
        });
        await postgres.DropDatabaseAsync("bench_ceiling");
        return (insert, complete);
    }

    private async Task<double> TimeBatchesAsync(string connection, Guid[] ids, Func<NpgsqlConnection, Guid[], Task> write)
    {
        var clock = Stopwatch.StartNew();
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, workers).Select(async _ =>
        {
            await using var db = new NpgsqlConnection(connection);
            await db.OpenAsync();
            int n;
            while ((n = Interlocked.Increment(ref next)) * batch < ids.Length)
            {
                await write(db, ids[(n * batch)..Math.Min(ids.Length, (n + 1) * batch)]);
            }
        }));
        return clock.Elapsed.TotalSeconds;
    }
}
