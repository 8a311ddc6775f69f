using OrleansJobs.Storage;

namespace OrleansJobs.Tests.Storage;

/// <summary>The jobs search: a tenant's jobs in one state across its job types, merged in the state's order, by time window and last error.</summary>
public abstract partial class JobStoreContractTests
{
    [Fact]
    public async Task A_search_across_job_types_merges_waiting_jobs_in_run_order_and_walks_each_once()
    {
        var a1 = NewJob(Queue("a"), JobPriority.High, T0.AddSeconds(-5));
        var b1 = NewJob(Queue("b"), JobPriority.Normal, T0.AddSeconds(-10));
        var c1 = NewJob(Queue("c"), JobPriority.Normal, T0.AddSeconds(-3));
        var a2 = NewJob(Queue("a"), JobPriority.Normal, T0.AddSeconds(-4));
        var b2 = NewJob(Queue("b"), JobPriority.Low, T0.AddSeconds(-20));
        var c2 = NewJob(Queue("c"), JobPriority.High, T0.AddSeconds(-1));
        await InsertAsync(a1, b1, c1, a2, b2, c2);

        Assert.Equal(["a", "b", "c"], await Store.ListJobTypesAsync(_tenant, JobState.Enqueued, 10, default));
        Assert.Equal(["a", "b"], await Store.ListJobTypesAsync(_tenant, JobState.Enqueued, 2, default));
        Assert.Empty(await Store.ListJobTypesAsync(_tenant, JobState.Dead, 10, default));

        Assert.Equal([[a1.Id, c2.Id], [b1.Id, a2.Id], [c1.Id, b2.Id]], await SearchAllAsync(JobState.Enqueued, 2));
        Assert.Equal([[a1.Id, a2.Id]], await SearchAllAsync(JobState.Enqueued, 5, jobType: "a"));
    }

    [Fact]
    public async Task A_search_of_finished_jobs_runs_newest_first_across_job_types()
    {
        var jobs = new[] { NewJob(Queue("a")), NewJob(Queue("b")), NewJob(Queue("a")), NewJob(Queue("c")), NewJob(Queue("b")) };
        await InsertAsync(jobs);
        foreach (var job in jobs)
        {
            Assert.True(await CompleteAsync(job.Id, (await LeaseAsync(job.Id))!.Lease));
        }

        var pages = await SearchAllAsync(JobState.Succeeded, 2);

        Assert.Equal([[jobs[4].Id, jobs[3].Id], [jobs[2].Id, jobs[1].Id], [jobs[0].Id]], pages);
    }

    [Fact]
    public async Task A_search_of_dead_jobs_walks_the_tenants_dead_letters_once_across_job_types()
    {
        var jobs = new[] { NewJob(Queue("a")), NewJob(Queue("b")), NewJob(Queue("a")) };
        await InsertAsync(jobs);
        foreach (var job in jobs)
        {
            Assert.True(await DeadLetterAsync((await LeaseAsync(job.Id))!, job == jobs[1] ? "rare" : "common"));
        }

        Assert.Equal([[jobs[2].Id, jobs[1].Id], [jobs[0].Id]], await SearchAllAsync(JobState.Dead, 2));
        Assert.Equal([[jobs[1].Id]], await SearchAllAsync(JobState.Dead, 2, error: "rare"));
        Assert.Equal([[jobs[2].Id, jobs[0].Id]], await SearchAllAsync(JobState.Dead, 5, jobType: "a"));
    }

    [Fact]
    public async Task A_search_keeps_jobs_whose_last_error_has_the_text_and_that_were_made_in_the_window()
    {
        var smtp = NewJob(Queue("mail"));
        var timeout = NewJob(Queue("pdf"));
        // Made a second later (its id says so), so a window can end between it and the others.
        var clean = NewJob(Queue("mail"), runAt: T0.AddHours(1)) with { Id = JobId.MinAt(DateTimeOffset.UtcNow.AddSeconds(1)) };
        await InsertAsync(smtp, timeout, clean);
        Assert.True(await RetryAsync((await LeaseAsync(smtp.Id))!, T0.AddMinutes(5), "SMTP 451 try later"));
        Assert.True(await RetryAsync((await LeaseAsync(timeout.Id))!, T0.AddMinutes(5), "Timed out after 00:00:30"));

        Assert.Equal([[smtp.Id]], await SearchAllAsync(JobState.Scheduled, 10, error: "SMTP 451"));
        Assert.Equal([[timeout.Id]], await SearchAllAsync(JobState.Scheduled, 10, error: "Timed out"));
        Assert.Equal([[smtp.Id, timeout.Id, clean.Id]], await SearchAllAsync(JobState.Scheduled, 10));
        Assert.Equal([[]], await SearchAllAsync(JobState.Scheduled, 10, from: DateTimeOffset.UtcNow.AddDays(1)));
        Assert.Equal([[smtp.Id, timeout.Id]], await SearchAllAsync(JobState.Scheduled, 10, to: clean.Id.CreatedAt));
    }

    private async Task<List<List<JobId>>> SearchAllAsync(JobState state, int limit, string? jobType = null, string? error = null, DateTimeOffset? from = null, DateTimeOffset? to = null)
    {
        var pages = new List<List<JobId>>();
        string? after = null;
        do
        {
            var page = await JobSearch.SearchAsync(Store, new JobSearchRequest(_tenant, state, jobType, from, to, error, after, limit), default);
            pages.Add([.. page.Jobs.Select(j => j.Id)]);
            Assert.False(page.JobTypesLeftOut);
            after = page.Next;
        }
        while (after is not null && pages.Count < 100);

        return pages;
    }
}
