using System.Text;
using OrleansJobs.Storage;

namespace OrleansJobs.Tests.Storage;

/// <summary>The dead-letter queue: what a dead letter keeps, listing, and replay.</summary>
public abstract partial class JobStoreContractTests
{
    [Fact]
    public async Task A_dead_letter_keeps_payload_and_every_attempts_error()
    {
        var job = NewJob(payload: "{\"url\":\"https://x\"}");
        await InsertAsync(job);
        var first = (await LeaseAsync(job.Id))!;
        await RetryAsync(first, T0, "503 from upstream");
        await PromoteDueAsync(Queue(), T0, 10);
        var second = (await LeaseAsync(job.Id))!;
        Assert.True(await DeadLetterAsync(second, "410 gone"));

        var dead = await Store.GetJobDetailAsync(_tenant, job.Id, default);

        Assert.NotNull(dead);
        Assert.Equal(JobState.Dead, dead.Job.State);
        Assert.Equal("410 gone", dead.Job.LastError);
        Assert.Equal("{\"url\":\"https://x\"}", Encoding.UTF8.GetString(dead.Payload));
        Assert.Equal([(1, "503 from upstream"), (2, "410 gone")], dead.Errors.Select(e => (e.Attempt, e.Message)));
        Assert.All(dead.Errors, e =>
        {
            Assert.Equal("System.InvalidOperationException", e.ErrorType);
            Assert.Equal("silo-a", e.Silo);
            Assert.Contains("at Handler.Run()", e.StackTrace);
        });
        Assert.Equal(T0.AddSeconds(2), dead.Errors[1].FailedAt);
        Assert.Null(await Store.GetJobDetailAsync("someone-else", job.Id, default));
    }

    [Fact]
    public async Task Replay_by_id_requeues_with_fresh_attempts_and_counts_the_replay()
    {
        var job = NewJob();
        await InsertAsync(job);
        await DeadLetterAsync((await LeaseAsync(job.Id))!);

        var replayed = await Store.ReplayAsync(new ReplayOne(_tenant, job.Id, T0.AddMinutes(1)), default);

        Assert.Equal([new ReplayedJob(job.Id, Queue())], replayed);
        var info = await Store.GetJobAsync(_tenant, job.Id, default);
        Assert.Equal((JobState.Enqueued, 0, 1, T0.AddMinutes(1)), (info!.State, info.Attempt, info.ReplayCount, info.RunAt));
        Assert.Null(info.FinishedAt);
        Assert.Equal([job.Id], (await Store.ReadReadyAsync(Queue(), null, 10, default)).Select(j => j.Id));

        var again = (await LeaseAsync(job.Id))!;
        Assert.Equal(1, again.Attempt);
        Assert.Empty(await Store.ReplayAsync(new ReplayOne(_tenant, job.Id, T0), default));
    }

    [Fact]
    public async Task Replay_by_filter_takes_only_matching_dead_jobs_of_the_tenant()
    {
        var timeouts = new[] { NewJob(), NewJob() };
        var other = NewJob();
        var otherType = NewJob(Queue("webhook.deliver"));
        var alive = NewJob();
        await InsertAsync([.. timeouts, other, otherType, alive]);
        foreach (var job in timeouts)
        {
            await DeadLetterAsync((await LeaseAsync(job.Id))!, "smtp timeout after 30s");
        }

        await DeadLetterAsync((await LeaseAsync(other.Id))!, "mailbox does not exist");
        await DeadLetterAsync((await LeaseAsync(otherType.Id))!, "smtp timeout after 30s");

        var filter = new DeadLetterFilter { JobType = "email.send", ErrorContains = "timeout" };
        var replayed = await Store.ReplayAsync(new ReplayMatching(_tenant, filter, 100, T0), default);

        Assert.Equal(timeouts.Select(j => j.Id).Order(), replayed.Select(r => r.Id).Order());
        Assert.Empty(await Store.ReplayAsync(new ReplayMatching("someone-else", new DeadLetterFilter(), 100, T0), default));
        Assert.Equal(JobState.Dead, (await Store.GetJobAsync(_tenant, other.Id, default))!.State);
        Assert.Single(await Store.ReplayAsync(new ReplayMatching(_tenant, new DeadLetterFilter(), 1, T0), default));
    }

    [Fact]
    public async Task Dead_letters_list_newest_first_in_pages_with_filters()
    {
        var jobs = Enumerable.Range(0, 5).Select(_ => NewJob()).ToArray();
        await InsertAsync(jobs);
        foreach (var job in jobs)
        {
            await DeadLetterAsync((await LeaseAsync(job.Id))!, job == jobs[0] ? "special" : "plain");
        }

        var first = await Store.ListDeadAsync(_tenant, new DeadLetterFilter(), 2, null, default);
        var second = await Store.ListDeadAsync(_tenant, new DeadLetterFilter(), 2, first.NextCursor, default);
        var third = await Store.ListDeadAsync(_tenant, new DeadLetterFilter(), 2, second.NextCursor, default);

        Assert.Equal(jobs.Reverse().Select(j => j.Id), first.Jobs.Concat(second.Jobs).Concat(third.Jobs).Select(j => j.Id));
        Assert.Null(third.NextCursor);
        Assert.Equal([jobs[0].Id], (await Store.ListDeadAsync(_tenant, new DeadLetterFilter { ErrorContains = "special" }, 10, null, default)).Jobs.Select(j => j.Id));
        Assert.Empty((await Store.ListDeadAsync(_tenant, new DeadLetterFilter { JobType = "webhook.deliver" }, 10, null, default)).Jobs);
        Assert.Empty((await Store.ListDeadAsync(_tenant, new DeadLetterFilter { From = T0.AddDays(1) }, 10, null, default)).Jobs);
        Assert.Equal(5, (await Store.ListDeadAsync(_tenant, new DeadLetterFilter { From = T0, To = T0.AddDays(1) }, 10, null, default)).Jobs.Count);
        Assert.Empty((await Store.ListDeadAsync("someone-else", new DeadLetterFilter(), 10, null, default)).Jobs);
    }

    [Fact]
    public async Task The_error_filter_matches_its_text_as_typed_with_no_wildcards_and_case_sensitive()
    {
        string[] errors = ["disk 100% full", "disk 100 full", "key a_b failed", "key axb failed", @"no file C:\tmp\x", "Timeout"];
        var jobs = errors.Select(_ => NewJob()).ToArray();
        await InsertAsync(jobs);
        for (var i = 0; i < jobs.Length; i++)
        {
            await DeadLetterAsync((await LeaseAsync(jobs[i].Id))!, errors[i]);
        }

        async Task<string[]> MatchesAsync(string text)
        {
            var filter = new DeadLetterFilter { ErrorContains = text };
            var listed = (await Store.ListDeadAsync(_tenant, filter, 10, null, default)).Jobs.Select(j => j.LastError!).Order().ToArray();
            var searched = (await Store.ListJobsAsync(new JobListing(new QueueKey(_tenant, ""), JobState.Dead, null, 10) { ErrorContains = text }, default)).Jobs.Select(j => j.LastError!).Order();
            Assert.Equal(listed, searched);
            Assert.Equal(listed.Length, await Store.CountDeadAsync(_tenant, filter, 100, default));
            return listed;
        }

        Assert.Equal(["disk 100% full"], await MatchesAsync("100%"));
        Assert.Equal(["disk 100% full"], await MatchesAsync("%"));
        Assert.Equal(["key a_b failed"], await MatchesAsync("a_b"));
        Assert.Equal([@"no file C:\tmp\x"], await MatchesAsync(@"C:\tmp"));
        Assert.Equal(["Timeout"], await MatchesAsync("Timeout"));
        Assert.Empty(await MatchesAsync("timeout"));
        Assert.Equal(["disk 100 full", "disk 100% full"], await MatchesAsync("disk 100"));
    }
}
