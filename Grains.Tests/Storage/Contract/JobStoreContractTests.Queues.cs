using System.Text;
using OrleansJobs.Storage;

namespace OrleansJobs.Tests.Storage;

/// <summary>A queue as a whole: ready pages, promotion, requeues, sheds, counters and its policy.</summary>
public abstract partial class JobStoreContractTests
{
    [Fact]
    public async Task Inserted_due_jobs_are_ready_in_priority_then_run_at_then_id_order()
    {
        var normalLater = NewJob(runAt: T0.AddSeconds(-1));
        var low = NewJob(priority: JobPriority.Low, runAt: T0.AddSeconds(-10));
        var normalEarlier = NewJob(runAt: T0.AddSeconds(-5));
        var high = NewJob(priority: JobPriority.High);
        var normalSameTimeA = NewJob(runAt: T0.AddSeconds(-1));
        await InsertAsync(normalLater, low, normalEarlier, high, normalSameTimeA);

        var page = await Store.ReadReadyAsync(Queue(), null, 10, default);

        Assert.Equal([high.Id, normalEarlier.Id, normalLater.Id, normalSameTimeA.Id, low.Id], page.Select(j => j.Id));
        Assert.Equal(JobPriority.High, page[0].Priority);
    }

    [Fact]
    public async Task Pages_read_after_the_last_job_seen_go_on_in_run_order_and_skip_none()
    {
        // Ties on priority and run-at, as one bulk enqueue makes, are broken by id.
        var jobs = Enumerable.Range(0, 12)
            .Select(i => NewJob(priority: (JobPriority)(i % 3), runAt: T0.AddSeconds(-(i % 2))))
            .ToArray();
        await InsertAsync(jobs);
        var all = await Store.ReadReadyAsync(Queue(), null, 100, default);

        var paged = new List<ReadyJob>();
        ReadyJob? last = null;
        IReadOnlyList<ReadyJob> page;
        while ((page = await Store.ReadReadyAsync(Queue(), last, 5, default)).Count > 0)
        {
            paged.AddRange(page);
            last = page[^1];
        }

        Assert.Equal(12, all.Count);
        Assert.Equal(all, paged);
    }

    [Fact]
    public async Task Ready_page_is_bounded_and_only_holds_its_own_queue()
    {
        await InsertAsync(Enumerable.Range(0, 20).Select(_ => NewJob()).ToArray());
        await InsertAsync(NewJob(Queue("other.type")));

        Assert.Equal(7, (await Store.ReadReadyAsync(Queue(), null, 7, default)).Count);
        Assert.Single(await Store.ReadReadyAsync(Queue("other.type"), null, 7, default));
    }

    [Fact]
    public async Task A_job_that_is_not_due_is_scheduled_until_promoted()
    {
        var soon = NewJob(runAt: T0.AddSeconds(10));
        var later = NewJob(runAt: T0.AddSeconds(20));
        await InsertAsync(later, soon);

        Assert.Empty(await Store.ReadReadyAsync(Queue(), null, 10, default));
        Assert.Equal(T0.AddSeconds(10), await Store.GetNextDueAsync(Queue(), default));
        var early = await PromoteDueAsync(Queue(), T0.AddSeconds(9), 10);
        Assert.Empty(early.Promoted);
        Assert.Equal(T0.AddSeconds(10), early.NextDue);

        var due = await PromoteDueAsync(Queue(), T0.AddSeconds(10), 10);
        Assert.Equal([new ReadyJob(soon.Id, soon.Priority, soon.RunAt)], due.Promoted);
        Assert.Equal(T0.AddSeconds(20), due.NextDue);
        Assert.Equal([soon.Id], (await Store.ReadReadyAsync(Queue(), null, 10, default)).Select(j => j.Id));
        Assert.Equal(T0.AddSeconds(20), await Store.GetNextDueAsync(Queue(), default));
        Assert.Equal(JobState.Scheduled, (await Store.GetJobAsync(_tenant, later.Id, default))!.State);
    }

    [Fact]
    public async Task Promotion_moves_at_most_the_limit_earliest_first()
    {
        var jobs = Enumerable.Range(1, 5).Select(i => NewJob(runAt: T0.AddSeconds(i))).ToArray();
        await InsertAsync(jobs);

        var promotion = await PromoteDueAsync(Queue(), T0.AddMinutes(1), 2);
        Assert.Equal([jobs[0].Id, jobs[1].Id], promotion.Promoted.Select(j => j.Id).Order());
        Assert.Equal(T0.AddSeconds(3), promotion.NextDue);
        Assert.Equal([jobs[0].Id, jobs[1].Id], (await Store.ReadReadyAsync(Queue(), null, 10, default)).Select(j => j.Id));
        Assert.Equal(T0.AddSeconds(3), await Store.GetNextDueAsync(Queue(), default));

        var rest = await PromoteDueAsync(Queue(), T0.AddMinutes(1), 10);
        Assert.Equal(3, rest.Promoted.Count);
        Assert.Null(rest.NextDue);
    }

    [Fact]
    public async Task Expired_leases_return_their_jobs_and_live_ones_stay()
    {
        var expiring = NewJob();
        var live = NewJob();
        await InsertAsync(expiring, live);
        await LeaseAsync(expiring.Id, T0);
        await LeaseAsync(live.Id, T0.AddMinutes(10));

        // A lease lasts the job's timeout (30 s) plus the margin (1 min).
        Assert.Equal(0, await RequeueAsync(new RequeueExpired(Queue(), T0.AddSeconds(89), [])));
        Assert.Equal(1, await RequeueAsync(new RequeueExpired(Queue(), T0.AddSeconds(91), [])));

        Assert.Equal([expiring.Id], (await Store.ReadReadyAsync(Queue(), null, 10, default)).Select(j => j.Id));
        Assert.Equal(JobState.Active, (await Store.GetJobAsync(_tenant, live.Id, default))!.State);
        var rerun = (await LeaseAsync(expiring.Id))!;
        Assert.Equal(2, rerun.Attempt);
    }

    [Fact]
    public async Task An_expired_lease_its_owner_still_holds_is_not_requeued()
    {
        var held = NewJob();
        var orphaned = NewJob();
        await InsertAsync(held, orphaned);
        await LeaseAsync(held.Id, T0);
        var lease = (await LeaseAsync(orphaned.Id, T0))!;

        Assert.Equal(1, await RequeueAsync(new RequeueExpired(Queue(), T0.AddHours(1), [held.Id])));

        Assert.Equal(JobState.Active, (await Store.GetJobAsync(_tenant, held.Id, default))!.State);
        Assert.Equal([orphaned.Id], (await Store.ReadReadyAsync(Queue(), null, 10, default)).Select(j => j.Id));
        Assert.False(await CompleteAsync(orphaned.Id, lease.Lease));
    }

    [Fact]
    public async Task A_new_owner_requeues_every_active_job_of_its_queue()
    {
        var jobs = new[] { NewJob(), NewJob() };
        var elsewhere = NewJob(Queue("other.type"));
        await InsertAsync([.. jobs, elsewhere]);
        foreach (var job in jobs.Append(elsewhere))
        {
            await LeaseAsync(job.Id);
        }

        Assert.Equal(2, await RequeueAsync(new RequeueAllActive(Queue())));
        Assert.Equal(2, (await Store.ReadReadyAsync(Queue(), null, 10, default)).Count);
        Assert.Equal(JobState.Active, (await Store.GetJobAsync(_tenant, elsewhere.Id, default))!.State);
    }

    [Fact]
    public async Task Shedding_cancels_the_lowest_priority_latest_due_jobs_all_or_nothing()
    {
        var lowOld = NewJob(priority: JobPriority.Low, runAt: T0.AddSeconds(-20));
        var lowNew = NewJob(priority: JobPriority.Low, runAt: T0.AddSeconds(-10));
        var normal = NewJob();
        var high = NewJob(priority: JobPriority.High);
        var lowScheduled = NewJob(priority: JobPriority.Low, runAt: T0.AddHours(1));
        await InsertAsync(lowOld, lowNew, normal, high, lowScheduled);

        Assert.Empty(await ShedAsync(JobPriority.Normal, 3, "full"));
        Assert.Empty(await ShedAsync(JobPriority.Low, 1, "full"));

        Assert.Equal([lowNew.Id], await ShedAsync(JobPriority.Normal, 1, "queue full"));
        Assert.Equal([lowOld.Id, normal.Id], (await ShedAsync(JobPriority.High, 2, "queue full")).Order());

        var shed = await Store.GetJobAsync(_tenant, lowNew.Id, default);
        Assert.Equal((JobState.Cancelled, "queue full"), (shed!.State, shed.LastError));
        Assert.Equal([high.Id], (await Store.ReadReadyAsync(Queue(), null, 10, default)).Select(j => j.Id));
        Assert.Equal(JobState.Scheduled, (await Store.GetJobAsync(_tenant, lowScheduled.Id, default))!.State);
    }

    [Fact]
    public async Task Counts_and_pending_queues_reflect_every_state()
    {
        var done = NewJob();
        var dead = NewJob();
        var active = NewJob();
        var waiting = NewJob(runAt: T0.AddSeconds(-30));
        var scheduled = NewJob(runAt: T0.AddHours(1));
        await InsertAsync(done, dead, active, waiting, scheduled);
        await CompleteAsync(done.Id, (await LeaseAsync(done.Id))!.Lease);
        await DeadLetterAsync((await LeaseAsync(dead.Id))!);
        await LeaseAsync(active.Id);

        var counts = await Store.GetQueueCountsAsync(Queue(), default);

        Assert.Equal(new QueueCounts(Scheduled: 1, Enqueued: 1, Active: 1, Succeeded: 1, Dead: 1, OldestEnqueuedRunAt: T0.AddSeconds(-30)), counts);
        Assert.Equal(counts, await Store.GetQueueCountsAsync(Queue(), default));
        Assert.Contains(Queue(), await Store.ListQueuesWithPendingWorkAsync(default));
        Assert.DoesNotContain(Queue("idle.type"), await Store.ListQueuesWithPendingWorkAsync(default));
    }

    [Fact]
    public async Task The_oldest_enqueued_job_is_reported_until_the_queue_has_none()
    {
        var first = NewJob(runAt: T0.AddSeconds(-20));
        var second = NewJob(runAt: T0.AddSeconds(-10));
        await InsertAsync(first, second);
        Assert.Equal(T0.AddSeconds(-20), (await Store.GetQueueCountsAsync(Queue(), default)).OldestEnqueuedRunAt);

        await CompleteAsync(first.Id, (await LeaseAsync(first.Id))!.Lease);
        Assert.Equal(T0.AddSeconds(-10), (await Store.GetQueueCountsAsync(Queue(), default)).OldestEnqueuedRunAt);

        await LeaseAsync(second.Id);
        Assert.Null((await Store.GetQueueCountsAsync(Queue(), default)).OldestEnqueuedRunAt);
    }

    [Fact]
    public async Task Counts_follow_every_transition_and_agree_with_the_jobs_themselves()
    {
        var jobs = Enumerable.Range(0, 12)
            .Select(i => NewJob(priority: (JobPriority)(i % 3), runAt: i < 3 ? T0.AddHours(1 + i) : T0.AddSeconds(-i)))
            .ToArray();
        await InsertAsync(jobs);
        await AssertCountsMatchJobsAsync(jobs);

        Assert.Single((await PromoteDueAsync(Queue(), T0.AddHours(1.5), 10)).Promoted);
        await AssertCountsMatchJobsAsync(jobs);

        var done = (await LeaseAsync(jobs[11].Id))!;
        var retried = (await LeaseAsync(jobs[10].Id))!;
        var dead = (await LeaseAsync(jobs[9].Id))!;
        var running = (await LeaseAsync(jobs[8].Id))!;
        await AssertCountsMatchJobsAsync(jobs);

        Assert.True(await CompleteAsync(done.Id, done.Lease));
        Assert.True(await RetryAsync(retried, T0.AddMinutes(5)));
        Assert.True(await DeadLetterAsync(dead));
        Assert.False(await CompleteAsync(done.Id, done.Lease));
        await AssertCountsMatchJobsAsync(jobs);

        Assert.Single(await Store.ReplayAsync(new ReplayOne(_tenant, dead.Id, T0), default));
        Assert.True(await CancelAsync(_tenant, jobs[7].Id));
        Assert.Single(await ShedAsync(JobPriority.High, 1, "full"));
        await AssertCountsMatchJobsAsync(jobs);

        Assert.Equal(1, await RequeueAsync(new RequeueAllActive(Queue())));
        await AssertCountsMatchJobsAsync(jobs);
        Assert.NotEqual(running.Lease, (await LeaseAsync(running.Id))!.Lease);
        await AssertCountsMatchJobsAsync(jobs);
    }

    [Fact]
    public async Task Counts_stay_exact_under_concurrent_writes_and_reads()
    {
        var batches = Enumerable.Range(0, 16).Select(_ => Enumerable.Range(0, 25).Select(_ => NewJob()).ToArray()).ToArray();
        using var stop = new CancellationTokenSource();
        var readers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var counts = await Store.GetQueueCountsAsync(Queue(), default);
                Assert.InRange(counts.Enqueued + counts.Active + counts.Succeeded, 0, 400);
            }
        })).ToArray();

        await Task.WhenAll(batches.Select(async jobs =>
        {
            await InsertAsync(jobs);
            var batch = new JobWriteBatch();
            batch.Leases.AddRange(jobs.Take(10).Select(j => new LeaseRequest(j.Id, "silo-a", T0, Margin)));
            var leased = (await Store.WriteAsync(batch, default)).Leases;
            var completions = new JobWriteBatch();
            completions.Completions.AddRange(leased.Take(5).Select(l => new Completion(l!.Id, l.Lease, T0.AddSeconds(1))));
            await Store.WriteAsync(completions, default);
        }));
        stop.Cancel();
        await Task.WhenAll(readers);

        var final = await Store.GetQueueCountsAsync(Queue(), default);
        Assert.Equal((Enqueued: 16 * 15L, Active: 16 * 5L, Succeeded: 16 * 5L), (final.Enqueued, final.Active, final.Succeeded));
        Assert.Equal(final, await Store.GetQueueCountsAsync(Queue(), default));
    }

    /// <summary>The counters against a tally of the jobs' own states: an oracle that does not use them.</summary>
    private async Task AssertCountsMatchJobsAsync(IEnumerable<NewJob> jobs)
    {
        var infos = new List<JobInfo>();
        foreach (var job in jobs)
        {
            infos.Add((await Store.GetJobAsync(_tenant, job.Id, default))!);
        }

        long Count(JobState state) => infos.Count(i => i.State == state);
        var enqueued = infos.Where(i => i.State == JobState.Enqueued).ToList();
        var expected = new QueueCounts(
            Count(JobState.Scheduled), enqueued.Count, Count(JobState.Active), Count(JobState.Succeeded), Count(JobState.Dead),
            enqueued.Count == 0 ? null : enqueued.Min(i => i.RunAt));
        Assert.Equal(expected, await Store.GetQueueCountsAsync(Queue(), default));
        Assert.Equal(expected.Scheduled + expected.Enqueued, await Store.CountWaitingAsync(Queue(), default));
        var pending = await Store.ListQueuesWithPendingWorkAsync(default);
        Assert.Equal(expected.Scheduled + expected.Enqueued + expected.Active > 0, pending.Contains(Queue()));
    }

    [Fact]
    public async Task Waiting_jobs_are_counted_per_queue()
    {
        var running = NewJob();
        await InsertAsync(NewJob(), NewJob(runAt: T0.AddHours(1)), running, NewJob(Queue("other.type")));
        await LeaseAsync(running.Id);

        Assert.Equal(2, await Store.CountWaitingAsync(Queue(), default));
        Assert.Equal(0, await Store.CountWaitingAsync(Queue("idle.type"), default));
    }

    [Fact]
    public async Task A_queue_policy_override_is_stored_replaced_and_read_back()
    {
        Assert.Equal(new QueueSettings(null, null), await Store.GetQueueSettingsAsync(Queue(), default));
        var policy = new QueuePolicy { MaxConcurrency = 3, RatePerSecond = 2.5, Burst = 4, MaxBacklog = 1_000_000_000, MaxAttempts = 7, Timeout = TimeSpan.FromSeconds(90) };

        await Store.SetQueuePolicyAsync(Queue(), policy, T0, default);
        Assert.Equal(new QueueSettings(policy, null), await Store.GetQueueSettingsAsync(Queue(), default));
        Assert.Equal(new QueueSettings(null, null), await Store.GetQueueSettingsAsync(Queue("other.type"), default));

        await Store.SetQueuePolicyAsync(Queue(), new QueuePolicy { RatePerSecond = 1 }, T0.AddMinutes(1), default);
        Assert.Equal(new QueuePolicy { RatePerSecond = 1 }, (await Store.GetQueueSettingsAsync(Queue(), default)).Override);
    }

    [Fact]
    public async Task A_pause_is_stored_beside_the_policy_and_neither_replaces_the_other()
    {
        // A queue with no override can be paused: it reads back as paused with no override.
        await Store.SetQueuePausedAsync(Queue(), T0, T0, default);
        Assert.Equal(new QueueSettings(new QueuePolicy(), T0), await Store.GetQueueSettingsAsync(Queue(), default));

        var policy = new QueuePolicy { MaxConcurrency = 3 };
        await Store.SetQueuePolicyAsync(Queue(), policy, T0.AddMinutes(1), default);
        Assert.Equal(new QueueSettings(policy, T0), await Store.GetQueueSettingsAsync(Queue(), default));

        await Store.SetQueuePausedAsync(Queue(), null, T0.AddMinutes(2), default);
        Assert.Equal(new QueueSettings(policy, null), await Store.GetQueueSettingsAsync(Queue(), default));
        Assert.Equal(new QueueSettings(null, null), await Store.GetQueueSettingsAsync(Queue("other.type"), default));
    }

    [Fact]
    public async Task Active_jobs_are_counted_per_job_type_for_one_tenant()
    {
        var a1 = NewJob();
        var a2 = NewJob();
        var b = NewJob(Queue("pdf.render"));
        var waiting = NewJob();
        var otherTenant = NewJob(new QueueKey(_tenant + "x", "email.send"));
        await InsertAsync(a1, a2, b, waiting, otherTenant);
        foreach (var job in new[] { a1, b, otherTenant })
        {
            await LeaseAsync(job.Id);
        }

        Assert.True(await CompleteAsync(a2.Id, (await LeaseAsync(a2.Id))!.Lease));
        var counts = await Store.CountActiveByJobTypeAsync(_tenant, default);
        Assert.Equal(new Dictionary<string, int> { ["email.send"] = 1, ["pdf.render"] = 1 }, counts);
    }

    [Fact]
    public async Task Aging_moves_the_longest_waiting_jobs_below_high_up_to_high_keeping_their_run_at()
    {
        var oldLow = NewJob(priority: JobPriority.Low, runAt: T0.AddSeconds(-30));
        var oldNormal = NewJob(runAt: T0.AddSeconds(-20));
        var olderLow = NewJob(priority: JobPriority.Low, runAt: T0.AddSeconds(-40));
        var recent = NewJob(priority: JobPriority.Low, runAt: T0.AddSeconds(-5));
        var high = NewJob(priority: JobPriority.High, runAt: T0.AddSeconds(-50));
        var otherQueue = NewJob(Queue("other.type"), JobPriority.Low, T0.AddSeconds(-60));
        var running = NewJob(priority: JobPriority.Low, runAt: T0.AddSeconds(-60));
        await InsertAsync(oldLow, oldNormal, olderLow, recent, high, otherQueue, running);
        Assert.NotNull(await LeaseAsync(running.Id));

        var aged = await AgeAsync(Queue(), T0.AddSeconds(-10), limit: 2);
        var rest = await AgeAsync(Queue(), T0.AddSeconds(-10), limit: 10);

        Assert.Equal([new ReadyJob(olderLow.Id, JobPriority.High, olderLow.RunAt), new ReadyJob(oldLow.Id, JobPriority.High, oldLow.RunAt)], aged.OrderBy(j => j.RunAt));
        Assert.Equal([oldNormal.Id], rest.Select(j => j.Id));
        Assert.Equal([high.Id, olderLow.Id, oldLow.Id, oldNormal.Id, recent.Id], (await Store.ReadReadyAsync(Queue(), null, 10, default)).Select(j => j.Id));
        Assert.Equal(JobPriority.High, (await Store.GetJobAsync(_tenant, oldNormal.Id, default))!.Priority);
        Assert.Equal(JobPriority.Low, (await Store.GetJobAsync(_tenant, otherQueue.Id, default))!.Priority);
        Assert.Equal(JobPriority.Low, (await Store.GetJobAsync(_tenant, running.Id, default))!.Priority);
    }

    private async Task<IReadOnlyList<ReadyJob>> AgeAsync(QueueKey queue, DateTimeOffset since, int limit)
    {
        var batch = new JobWriteBatch();
        batch.Agings.Add(new AgingRequest(queue, since, limit));
        return (await Store.WriteAsync(batch, default)).Agings[0];
    }
}
