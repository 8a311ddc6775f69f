using System.Text;
using Microsoft.Extensions.Options;
using Npgsql;
using OrleansJobs.Storage;
using OrleansJobs.Storage.Postgres;
using OrleansJobs.Storage.Sqlite;

namespace OrleansJobs.Tests.Storage;

/// <summary>Upgrading a store that already holds jobs: the new schema must describe the old rows.</summary>
public sealed class StoreUpgradeTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.Parse("2026-01-01T00:00:00Z");
    private static readonly QueueKey Queue = new("acme", "email.send");

    [Fact]
    public async Task Upgrading_PostgreSQL_to_per_queue_counters_counts_the_jobs_already_stored()
    {
        await using var database = await PostgresDatabase.CreateAsync();
        await using (var db = NpgsqlDataSource.Create(database.ConnectionString))
        {
            await PostgresMigrator.ApplyAsync(db, "postgres/jobs", "jobs_schema_version", default, upTo: 6);
            await using var insert = db.CreateCommand(OldRowsSql(id => $"'{id.Value}'::uuid", t => $"'{t.UtcDateTime:O}'::timestamptz", "'\\x7b7d'::bytea"));
            await insert.ExecuteNonQueryAsync();
        }

        await using var store = new PostgresJobStore(Options.Create(new PostgresStoreOptions { ConnectionString = database.ConnectionString }));

        await store.InitializeAsync(default);

        await AssertCountedAsync(store);
    }

    [Fact]
    public async Task A_dead_letter_error_index_built_concurrently_before_the_upgrade_is_kept()
    {
        await using var database = await PostgresDatabase.CreateAsync();
        await using (var db = NpgsqlDataSource.Create(database.ConnectionString))
        {
            await PostgresMigrator.ApplyAsync(db, "postgres/jobs", "jobs_schema_version", default, upTo: 18);
            // As docs/postgres-tuning.md tells a DBA to, on a table too large to hold its writes for the build.
            await using var extension = db.CreateCommand("CREATE EXTENSION pg_trgm;");
            await extension.ExecuteNonQueryAsync();
            await using var index = db.CreateCommand("CREATE INDEX CONCURRENTLY ix_jobs_dead_error ON jobs USING gin (last_error gin_trgm_ops) WHERE state = 5;");
            await index.ExecuteNonQueryAsync();
        }

        await using var store = new PostgresJobStore(Options.Create(new PostgresStoreOptions { ConnectionString = database.ConnectionString }));
        await store.InitializeAsync(default);

        await using var check = NpgsqlDataSource.Create(database.ConnectionString);
        await using var read = check.CreateCommand("SELECT (SELECT MAX(version) FROM jobs_schema_version), (SELECT COUNT(*) FROM pg_indexes WHERE indexname = 'ix_jobs_dead_error');");
        await using var reader = await read.ExecuteReaderAsync();
        await reader.ReadAsync();
        Assert.Equal((19, 1L), (reader.GetInt32(0), reader.GetInt64(1)));
    }

    [Fact]
    public async Task Upgrading_SQLite_to_per_queue_counters_counts_the_jobs_already_stored()
    {
        var folder = Directory.CreateTempSubdirectory("orleansjobs-upgrade-").FullName;
        try
        {
            var path = Path.Combine(folder, "jobs.db");
            await using (var store = new SqliteJobStore(Options.Create(new SqliteStoreOptions { Path = path })))
            {
                await store.MigrateAsync(upTo: 6, default);
                await using (var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path}"))
                {
                    await db.OpenAsync();
                    await using var insert = db.CreateCommand();
                    insert.CommandText = OldRowsSql(id => $"x'{Convert.ToHexString(id.ToBytes())}'", t => t.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture), "x'7b7d'");
                    await insert.ExecuteNonQueryAsync();
                }

                await store.InitializeAsync(default);

                await AssertCountedAsync(store);
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>
    /// One scheduled, two enqueued, one active and one succeeded job, as rows of the version 6 schema:
    /// written by hand, since the store's own writes name columns that later versions added.
    /// </summary>
    private static string OldRowsSql(Func<JobId, string> id, Func<DateTimeOffset, string> time, string payload)
    {
        var ids = new JobIdGenerator(TimeProvider.System);
        var rows = new (int State, DateTimeOffset RunAt, int Attempt, string Started, string Finished, string Owner, string Expires)[]
        {
            (0, T0.AddHours(1), 0, "NULL", "NULL", "NULL", "NULL"),
            (1, T0, 0, "NULL", "NULL", "NULL", "NULL"),
            (1, T0, 0, "NULL", "NULL", "NULL", "NULL"),
            (2, T0, 1, time(T0), "NULL", "'silo-a'", time(T0.AddMinutes(1))),
            (3, T0, 1, time(T0), time(T0.AddSeconds(1)), "'silo-a'", "NULL"),
        };
        var values = rows.Select(r =>
            $"({id(ids.Next())}, '{Queue.Tenant}', '{Queue.JobType}', {r.State}, 1, {time(T0)}, {time(r.RunAt)}, {r.Attempt}, 3, 30000, {r.Attempt}, {r.Owner}, {r.Expires}, {r.Started}, {r.Finished}, {payload})");
        return $"""
            INSERT INTO jobs (id, tenant, job_type, state, priority, created_at, run_at, attempt, max_attempts, timeout_ms, lease, lease_owner, lease_expires_at, started_at, finished_at, payload)
            VALUES {string.Join(", ", values)};
            """;
    }

    private static async Task AssertCountedAsync(IJobStore store)
    {
        Assert.Equal(new QueueCounts(Scheduled: 1, Enqueued: 2, Active: 1, Succeeded: 1, Dead: 0, OldestEnqueuedRunAt: T0), await store.GetQueueCountsAsync(Queue, default));
        Assert.Equal([Queue], await store.ListQueuesWithPendingWorkAsync(default));
    }
}
