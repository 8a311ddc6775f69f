using System.Text;
using OrleansJobs.Storage;

namespace OrleansJobs.Tests.Storage;

/// <summary>The schema, the readiness probe and retention.</summary>
public abstract partial class JobStoreContractTests
{
    [Fact]
    public async Task Finished_jobs_past_their_retention_are_deleted_page_by_page_with_their_errors()
    {
        var done = new[] { NewJob(), NewJob(), NewJob() };
        var otherQueueDone = NewJob(Queue("webhook.deliver"));
        var dead = NewJob();
        var waiting = NewJob();
        await InsertAsync([.. done, otherQueueDone, dead, waiting]);
        foreach (var job in done.Append(otherQueueDone))
        {
            Assert.True(await CompleteAsync(job.Id, (await LeaseAsync(job.Id))!.Lease));
        }

        Assert.True(await DeadLetterAsync((await LeaseAsync(dead.Id))!));
        // Completions above finish at T0 + 1 s; the ids were made now, so the cutoff must be later than both.
        var cutoff = DateTimeOffset.UtcNow.AddMinutes(1);

        // Succeeded jobs are swept a queue at a time, dead letters a tenant at a time.
        var tenantsDead = new QueueKey(_tenant, "");
        Assert.Contains(Queue(), await Store.ListRetentionScopesAsync(JobState.Succeeded, default));
        Assert.Contains(Queue("webhook.deliver"), await Store.ListRetentionScopesAsync(JobState.Succeeded, default));
        Assert.DoesNotContain(Queue(), await Store.ListRetentionScopesAsync(JobState.Cancelled, default));
        Assert.Contains(tenantsDead, await Store.ListRetentionScopesAsync(JobState.Dead, default));
        Assert.DoesNotContain(Queue(), await Store.ListRetentionScopesAsync(JobState.Dead, default));

        Assert.Equal(new FinishedDeletion(0, null), await Store.DeleteFinishedAsync(Queue(), JobState.Succeeded, T0, null, 10, default));
        var first = await Store.DeleteFinishedAsync(Queue(), JobState.Succeeded, cutoff, null, 2, default);
        Assert.Equal(new FinishedDeletion(2, done[1].Id), first);
        Assert.Equal(new FinishedDeletion(1, done[2].Id), await Store.DeleteFinishedAsync(Queue(), JobState.Succeeded, cutoff, first.Last, 2, default));
        Assert.Equal(new FinishedDeletion(0, null), await Store.DeleteFinishedAsync(Queue(), JobState.Succeeded, cutoff, done[2].Id, 2, default));
        Assert.All(done, job => Assert.Null(Store.GetJobAsync(_tenant, job.Id, default).Result));
        Assert.Equal(JobState.Succeeded, (await Store.GetJobAsync(_tenant, otherQueueDone.Id, default))!.State);
        Assert.NotNull(await Store.GetJobDetailAsync(_tenant, dead.Id, default));
        Assert.DoesNotContain(Queue(), await Store.ListRetentionScopesAsync(JobState.Succeeded, default));

        Assert.Equal(0, (await Store.DeleteFinishedAsync(new QueueKey("someone-else", ""), JobState.Dead, cutoff, null, 10, default)).Deleted);
        Assert.Equal(1, (await Store.DeleteFinishedAsync(tenantsDead, JobState.Dead, cutoff, null, 10, default)).Deleted);
        Assert.Null(await Store.GetJobDetailAsync(_tenant, dead.Id, default));
        Assert.DoesNotContain(tenantsDead, await Store.ListRetentionScopesAsync(JobState.Dead, default));
        Assert.Equal(JobState.Enqueued, (await Store.GetJobAsync(_tenant, waiting.Id, default))!.State);
        await AssertCountsMatchJobsAsync([waiting]);
    }

    [Fact]
    public async Task The_key_sweep_deletes_keys_whose_job_ended_a_retention_ago_and_keeps_those_of_jobs_not_ended()
    {
        var ended = NewJob(key: "ended");
        var waiting = NewJob(key: "waiting");
        var live = NewJob(key: "live") with { IdempotencyRetention = TimeSpan.FromHours(3) };
        await InsertAsync(ended, waiting, live);
        var leased = (await LeaseAsync(ended.Id))!;
        await CompleteAsync(ended.Id, leased.Lease);

        Assert.True(await Store.ExpireKeysAsync(T0.AddHours(2), TimeSpan.FromHours(1), 1_000, default) >= 2);

        // The waiting job's key now lasts an hour past this sweep; the unexpired key was not touched.
        var again = await InsertAsync(NewJob(key: "ended"), NewJob(key: "waiting"), NewJob(key: "live"));
        Assert.Equal([true, false, false], again.Select(o => o.Created));
        Assert.Equal((waiting.Id, live.Id), (again[1].Id, again[2].Id));
    }

    [Fact]
    public async Task Ping_answers_once_initialized() => await Store.PingAsync(default);

    [Fact]
    public async Task Initialize_is_idempotent()
    {
        await Store.InitializeAsync(default);
        await Store.InitializeAsync(default);
        await InsertAsync(NewJob());
    }
}
