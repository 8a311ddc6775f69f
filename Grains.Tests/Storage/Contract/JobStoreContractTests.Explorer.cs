using System.Text;
using OrleansJobs.Storage;

namespace OrleansJobs.Tests.Storage;

/// <summary>What the job explorer reads: a job in full in any state, queues and tenants listed, dead letters counted.</summary>
public abstract partial class JobStoreContractTests
{
    [Fact]
    public async Task A_job_waiting_to_retry_shows_its_payload_and_the_attempt_that_failed()
    {
        const string TraceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        var job = NewJob(payload: "{\"to\":\"a@b\"}") with { TraceParent = TraceParent };
        await InsertAsync(job);
        await RetryAsync((await LeaseAsync(job.Id))!, T0.AddMinutes(5), "SMTP 451");

        var detail = await Store.GetJobDetailAsync(_tenant, job.Id, default);

        Assert.NotNull(detail);
        Assert.Equal((JobState.Scheduled, T0.AddMinutes(5)), (detail.Job.State, detail.Job.RunAt));
        Assert.Equal("{\"to\":\"a@b\"}", Encoding.UTF8.GetString(detail.Payload));
        Assert.Equal([(1, "SMTP 451")], detail.Errors.Select(e => (e.Attempt, e.Message)));
        Assert.Equal(TraceParent, detail.TraceParent);
        Assert.Null(await Store.GetJobDetailAsync("someone-else", job.Id, default));
        Assert.Equal(_tenant, await Store.GetJobTenantAsync(job.Id, default));
        Assert.Null(await Store.GetJobTenantAsync(_ids.Next(), default));
    }

    [Fact]
    public async Task Each_failed_attempt_keeps_when_its_handler_started_and_what_came_of_the_job()
    {
        var retried = NewJob();
        var dead = NewJob();
        await InsertAsync(retried, dead);
        var first = (await LeaseAsync(retried.Id))!;
        var other = (await LeaseAsync(dead.Id))!;
        var batch = new JobWriteBatch();
        batch.Retries.Add(new Retry(retried.Id, first.Lease, T0.AddMinutes(1), Error(first, "first"), new AttemptRan(T0.AddMilliseconds(250), "silo-b")));
        batch.DeadLetters.Add(new DeadLetter(dead.Id, other.Lease, Error(other, "second"), new AttemptRan(T0.AddSeconds(6), "silo-c")));
        var written = await Store.WriteAsync(batch, default);
        Assert.True(written.Retries[0] && written.DeadLetters[0]);

        var retriedError = Assert.Single((await Store.GetJobDetailAsync(_tenant, retried.Id, default))!.Errors);
        var deadError = Assert.Single((await Store.GetJobDetailAsync(_tenant, dead.Id, default))!.Errors);

        Assert.Equal((T0.AddMilliseconds(250), JobState.Scheduled), (retriedError.StartedAt, retriedError.MovedTo));
        Assert.Equal((T0.AddSeconds(6), JobState.Dead), (deadError.StartedAt, deadError.MovedTo));
    }

    [Fact]
    public async Task Queues_are_listed_with_work_or_dead_letters_in_pages_and_finished_ones_are_left_out()
    {
        var waiting = NewJob(Queue("a.waiting"));
        var scheduled = NewJob(Queue("b.scheduled"), runAt: T0.AddHours(1));
        var dead = NewJob(Queue("c.dead"));
        var done = NewJob(Queue("d.done"));
        await InsertAsync(waiting, scheduled, dead, done);
        await DeadLetterAsync((await LeaseAsync(dead.Id))!);
        var leased = (await LeaseAsync(done.Id))!;
        Assert.True(await CompleteAsync(done.Id, leased.Lease));

        var first = await Store.ListQueuesAsync(new QueueListing(_tenant, null, 2), default);
        Assert.Equal([Queue("a.waiting"), Queue("b.scheduled")], first.Queues);
        Assert.Equal(Queue("b.scheduled"), first.Next);

        var second = await Store.ListQueuesAsync(new QueueListing(_tenant, first.Next, 2), default);
        Assert.Equal([Queue("c.dead")], second.Queues);
        Assert.Null(second.Next);
        Assert.Equal(new Dictionary<string, int> { [_tenant] = 3 }, await Store.CountQueuesAsync([_tenant, "nobody-" + _tenant], default));

        // All tenants: from just before this one's first queue, the same queues in the same order.
        var all = await Store.ListQueuesAsync(new QueueListing(null, new QueueKey(_tenant, ""), 3), default);
        Assert.Equal([Queue("a.waiting"), Queue("b.scheduled"), Queue("c.dead")], all.Queues);
    }

    [Fact]
    public async Task Tenants_with_jobs_are_listed_in_name_order_after_a_cursor()
    {
        await InsertAsync(NewJob());

        var from = await Store.ListTenantsAsync(_tenant[..^1], 1000, default);
        Assert.Contains(_tenant, from);
        Assert.Equal(from.Order(StringComparer.Ordinal), from);
        Assert.DoesNotContain(_tenant, await Store.ListTenantsAsync(_tenant, 1000, default));
        Assert.Single(await Store.ListTenantsAsync(null, 1, default));
    }

    [Fact]
    public async Task Dead_letters_are_counted_by_filter_and_no_further_than_asked()
    {
        var jobs = Enumerable.Range(0, 4).Select(_ => NewJob()).ToArray();
        await InsertAsync(jobs);
        for (var i = 0; i < jobs.Length; i++)
        {
            await DeadLetterAsync((await LeaseAsync(jobs[i].Id))!, i < 3 ? "timeout" : "bad input");
        }

        Assert.Equal(4, await Store.CountDeadAsync(_tenant, new DeadLetterFilter(), 100, default));
        Assert.Equal(3, await Store.CountDeadAsync(_tenant, new DeadLetterFilter { ErrorContains = "timeout" }, 100, default));
        Assert.Equal(2, await Store.CountDeadAsync(_tenant, new DeadLetterFilter(), 2, default));
        Assert.Equal(0, await Store.CountDeadAsync(_tenant, new DeadLetterFilter { JobType = "other" }, 100, default));
    }
}

public abstract partial class JobStoreContractTests
{
    [Fact]
    public async Task Waiting_jobs_are_listed_in_run_order_a_page_at_a_time()
    {
        var low = NewJob(priority: JobPriority.Low, runAt: T0.AddSeconds(-3));
        var high = NewJob(priority: JobPriority.High, runAt: T0.AddSeconds(-1));
        var early = NewJob(runAt: T0.AddSeconds(-2).AddTicks(1234));
        var late = NewJob(runAt: T0.AddSeconds(-1));
        await InsertAsync(low, high, early, late);

        var pages = await ListAllAsync(JobState.Enqueued, limit: 3);

        Assert.Equal([[high.Id, early.Id, late.Id], [low.Id]], pages);
    }

    [Fact]
    public async Task Scheduled_running_finished_and_dead_jobs_are_each_listed_in_their_order()
    {
        var later = NewJob(runAt: T0.AddHours(2));
        var sooner = NewJob(runAt: T0.AddHours(1));
        var running = new[] { NewJob(), NewJob() };
        var done = new[] { NewJob(), NewJob(), NewJob() };
        var dead = NewJob();
        await InsertAsync([later, sooner, .. running, .. done, dead]);
        Assert.NotNull(await LeaseAsync(running[1].Id, T0));
        Assert.NotNull(await LeaseAsync(running[0].Id, T0.AddSeconds(5)));
        foreach (var job in done)
        {
            Assert.True(await CompleteAsync(job.Id, (await LeaseAsync(job.Id))!.Lease));
        }

        await DeadLetterAsync((await LeaseAsync(dead.Id))!);

        Assert.Equal([[sooner.Id], [later.Id]], await ListAllAsync(JobState.Scheduled, limit: 1));
        Assert.Equal([[running[1].Id, running[0].Id]], await ListAllAsync(JobState.Active, limit: 5));
        Assert.Equal([[done[2].Id, done[1].Id], [done[0].Id]], await ListAllAsync(JobState.Succeeded, limit: 2));
        Assert.Equal([[dead.Id]], await ListAllAsync(JobState.Dead, limit: 2));
        Assert.Equal([[]], await ListAllAsync(JobState.Cancelled, limit: 2));

        // Created-time bounds come from the ids, which carry it.
        var bounded = await Store.ListJobsAsync(new JobListing(Queue(), JobState.Succeeded, null, 10) { CreatedFrom = done[1].Id.CreatedAt, CreatedTo = done[2].Id.CreatedAt.AddMilliseconds(1) }, default);
        Assert.Contains(done[1].Id, bounded.Jobs.Select(j => j.Id));
        Assert.Contains(done[2].Id, bounded.Jobs.Select(j => j.Id));
        Assert.Empty(await ListAllAsync(JobState.Succeeded, limit: 2, from: T0.AddYears(50)).ContinueWith(t => t.Result.SelectMany(p => p).ToList()));

        await Assert.ThrowsAsync<JobValidationException>(() => Store.ListJobsAsync(new JobListing(Queue(), JobState.Enqueued, "1|x", 2), default));
    }

    [Fact]
    public async Task A_job_is_found_by_the_idempotency_key_it_holds()
    {
        var job = NewJob(key: "order-42");
        await InsertAsync(job);

        Assert.Equal(job.Id, await Store.FindByIdempotencyKeyAsync(_tenant, "order-42", default));
        Assert.Null(await Store.FindByIdempotencyKeyAsync(_tenant, "order-43", default));
        Assert.Null(await Store.FindByIdempotencyKeyAsync("someone-else", "order-42", default));
    }

    /// <summary>Every page of the listing, each as its ids, following the cursors.</summary>
    private async Task<List<List<JobId>>> ListAllAsync(JobState state, int limit, DateTimeOffset? from = null)
    {
        var pages = new List<List<JobId>>();
        string? cursor = null;
        do
        {
            var page = await Store.ListJobsAsync(new JobListing(Queue(), state, cursor, limit) { CreatedFrom = from }, default);
            pages.Add(page.Jobs.Select(j => j.Id).ToList());
            cursor = page.Next;
        }
        while (cursor is not null && pages.Count < 100);

        return pages;
    }
}

public abstract partial class JobStoreContractTests
{
    [Fact]
    public async Task Finished_jobs_are_deleted_one_by_id_or_dead_ones_by_filter_and_waiting_ones_never()
    {
        var done = NewJob();
        var waiting = NewJob();
        var dead = Enumerable.Range(0, 3).Select(_ => NewJob()).ToArray();
        await InsertAsync([done, waiting, .. dead]);
        Assert.True(await CompleteAsync(done.Id, (await LeaseAsync(done.Id))!.Lease));
        for (var i = 0; i < dead.Length; i++)
        {
            await DeadLetterAsync((await LeaseAsync(dead[i].Id))!, i < 2 ? "timeout" : "bad input");
        }

        Assert.Equal(0, await Store.DeleteJobsAsync(new FinishedJobsDeletion(_tenant, waiting.Id, new DeadLetterFilter(), 1), default));
        Assert.Equal(0, await Store.DeleteJobsAsync(new FinishedJobsDeletion("someone-else", done.Id, new DeadLetterFilter(), 1), default));
        Assert.Equal(1, await Store.DeleteJobsAsync(new FinishedJobsDeletion(_tenant, done.Id, new DeadLetterFilter(), 1), default));
        Assert.Null(await Store.GetJobDetailAsync(_tenant, done.Id, default));

        Assert.Equal(1, await Store.DeleteJobsAsync(new FinishedJobsDeletion(_tenant, null, new DeadLetterFilter { ErrorContains = "timeout" }, 1), default));
        Assert.Equal(1, await Store.DeleteJobsAsync(new FinishedJobsDeletion(_tenant, null, new DeadLetterFilter { ErrorContains = "timeout" }, 10), default));
        Assert.Equal([dead[2].Id], (await Store.ListDeadAsync(_tenant, new DeadLetterFilter(), 10, null, default)).Jobs.Select(j => j.Id));
        Assert.Equal(JobState.Enqueued, (await Store.GetJobAsync(_tenant, waiting.Id, default))!.State);
        await AssertCountsMatchJobsAsync([waiting, dead[2]]);
    }
}
