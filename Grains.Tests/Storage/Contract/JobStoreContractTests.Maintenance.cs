using System.Text;
using OrleansJobs.Storage;

namespace OrleansJobs.Tests.Storage;

/// <summary>The schema, the readiness probe and retention.</summary>
public abstract partial class JobStoreContractTests
{
    [Fact]
    public async Task Finished_jobs_past_their_retention_are_deleted_page_by_page_with_their_errors()
    {
        // Other tests' rows share the database and come before this id.
        var mine = _ids.Next();
        var done = new[] { NewJob(), NewJob(), NewJob() };
        var dead = NewJob();
        var waiting = NewJob();
        await InsertAsync([.. done, dead, waiting]);
        foreach (var job in done)
        {
            Assert.True(await CompleteAsync(job.Id, (await LeaseAsync(job.Id))!.Lease));
        }

        Assert.True(await DeadLetterAsync((await LeaseAsync(dead.Id))!));
        // Completions above finish at T0 + 1 s; the ids were made now, so the cutoff must be later than both.
        var cutoff = DateTimeOffset.UtcNow.AddMinutes(1);

        Assert.Equal(new FinishedDeletion(0, null), await Store.DeleteFinishedAsync(JobState.Succeeded, T0, mine, 10, default));
        var first = await Store.DeleteFinishedAsync(JobState.Succeeded, cutoff, mine, 2, default);
        Assert.Equal(new FinishedDeletion(2, done[1].Id), first);
        Assert.Equal(new FinishedDeletion(1, done[2].Id), await Store.DeleteFinishedAsync(JobState.Succeeded, cutoff, first.Last, 2, default));
        Assert.All(done, job => Assert.Null(Store.GetJobAsync(_tenant, job.Id, default).Result));
        Assert.NotNull(await Store.GetDeadAsync(_tenant, dead.Id, default));

        Assert.Equal(1, (await Store.DeleteFinishedAsync(JobState.Dead, cutoff, mine, 10, default)).Deleted);
        Assert.Null(await Store.GetDeadAsync(_tenant, dead.Id, default));
        Assert.Equal(JobState.Enqueued, (await Store.GetJobAsync(_tenant, waiting.Id, default))!.State);
        await AssertCountsMatchJobsAsync([waiting]);
    }

    [Fact]
    public async Task Expired_idempotency_keys_are_deleted_and_live_ones_kept()
    {
        var early = NewJob(key: "early");
        var late = NewJob(key: "late") with { IdempotencyExpiresAt = T0.AddHours(3) };
        await InsertAsync(early, late);

        Assert.True(await Store.DeleteExpiredKeysAsync(T0.AddHours(2), 1_000, default) >= 1);

        var again = await InsertAsync(NewJob(key: "early"), NewJob(key: "late"));
        Assert.Equal((true, false), (again[0].Created, again[1].Created));
        Assert.Equal(late.Id, again[1].Id);
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
