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
        }

        await using var store = new PostgresJobStore(Options.Create(new PostgresStoreOptions { ConnectionString = database.ConnectionString }));
        await StoreJobsAsync(store);

        await store.InitializeAsync(default);

        await AssertCountedAsync(store);
    }

    [Fact]
    public async Task Upgrading_SQLite_to_per_queue_counters_counts_the_jobs_already_stored()
    {
        var folder = Directory.CreateTempSubdirectory("orleansjobs-upgrade-").FullName;
        try
        {
            await using (var store = new SqliteJobStore(Options.Create(new SqliteStoreOptions { Path = Path.Combine(folder, "jobs.db") })))
            {
                await store.MigrateAsync(upTo: 6, default);
                await StoreJobsAsync(store);

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

    /// <summary>One scheduled, two enqueued, one active and one succeeded job.</summary>
    private static async Task StoreJobsAsync(IJobStore store)
    {
        var ids = new JobIdGenerator(TimeProvider.System);
        var jobs = Enumerable.Range(0, 5)
            .Select(i => new NewJob(ids.Next(), Queue, Encoding.UTF8.GetBytes("{}"), JobPriority.Normal, T0, i == 0 ? T0.AddHours(1) : T0, 3, TimeSpan.FromSeconds(30), null, null))
            .ToArray();
        var inserts = new JobWriteBatch();
        inserts.Inserts.AddRange(jobs);
        await store.WriteAsync(inserts, default);
        var leases = new JobWriteBatch();
        leases.Leases.AddRange(jobs[1..3].Select(j => new LeaseRequest(j.Id, "silo-a", T0, TimeSpan.FromMinutes(1))));
        var leased = (await store.WriteAsync(leases, default)).Leases;
        var completion = new JobWriteBatch();
        completion.Completions.Add(new Completion(leased[0]!.Id, leased[0]!.Lease, T0.AddSeconds(1)));
        await store.WriteAsync(completion, default);
    }

    private static async Task AssertCountedAsync(IJobStore store)
    {
        Assert.Equal(new QueueCounts(Scheduled: 1, Enqueued: 2, Active: 1, Succeeded: 1, Dead: 0, OldestEnqueuedRunAt: T0), await store.GetQueueCountsAsync(Queue, default));
        Assert.Equal([Queue], await store.ListQueuesWithPendingWorkAsync(default));
    }
}
