using System.Text;
using Microsoft.Extensions.Options;
using Npgsql;
using OrleansJobs.Storage;
using OrleansJobs.Storage.Postgres;

namespace OrleansJobs.Tests.Storage;

/// <summary>Upgrading a database that already holds jobs: the new schema must describe the old rows.</summary>
public sealed class PostgresUpgradeTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.Parse("2026-01-01T00:00:00Z");

    [Fact]
    public async Task Upgrading_to_per_queue_counters_counts_the_jobs_already_stored()
    {
        await using var database = await PostgresDatabase.CreateAsync();
        await using (var db = NpgsqlDataSource.Create(database.ConnectionString))
        {
            await PostgresMigrator.ApplyAsync(db, "postgres/jobs", "jobs_schema_version", default, upTo: 6);
        }

        await using var store = new PostgresJobStore(Options.Create(new PostgresStoreOptions { ConnectionString = database.ConnectionString }));
        var queue = new QueueKey("acme", "email.send");
        var ids = new JobIdGenerator(TimeProvider.System);
        var jobs = Enumerable.Range(0, 5)
            .Select(i => new NewJob(ids.Next(), queue, Encoding.UTF8.GetBytes("{}"), JobPriority.Normal, T0, i == 0 ? T0.AddHours(1) : T0, 3, TimeSpan.FromSeconds(30), null, null))
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

        await store.InitializeAsync(default);

        Assert.Equal(new QueueCounts(Scheduled: 1, Enqueued: 2, Active: 1, Succeeded: 1, Dead: 0, OldestEnqueuedRunAt: T0), await store.GetQueueCountsAsync(queue, default));
        Assert.Equal([queue], await store.ListQueuesWithPendingWorkAsync(default));
    }
}
