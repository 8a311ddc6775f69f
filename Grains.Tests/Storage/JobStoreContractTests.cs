using System.Text;
using OrleansJobs.Storage;

namespace OrleansJobs.Tests.Storage;

/// <summary>
/// What every job store must do. A store's test class inherits this and supplies the store; the
/// tests use a fresh tenant each, so they may share one database.
/// </summary>
public abstract class JobStoreContractTests
{
    private static readonly TimeSpan Margin = TimeSpan.FromMinutes(1);
    private readonly JobIdGenerator _ids = new(TimeProvider.System);
    private readonly string _tenant = "t" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>A store whose schema is initialized.</summary>
    protected abstract IJobStore Store { get; }

    /// <summary>A time in the stores' millisecond precision.</summary>
    protected static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.Parse("2026-01-01T00:00:00Z").ToUnixTimeMilliseconds());

    private QueueKey Queue(string type = "email.send") => new(_tenant, type);

    private NewJob NewJob(QueueKey? queue = null, JobPriority priority = JobPriority.Normal, DateTimeOffset? runAt = null, string? key = null, int maxAttempts = 3, string payload = "{\"n\":1}") =>
        new(_ids.Next(), queue ?? Queue(), Encoding.UTF8.GetBytes(payload), priority, T0, runAt ?? T0, maxAttempts, TimeSpan.FromSeconds(30), key, key is null ? null : T0.AddHours(1));

    private async Task<InsertOutcome[]> InsertAsync(params NewJob[] jobs)
    {
        var batch = new JobWriteBatch();
        batch.Inserts.AddRange(jobs);
        return (await Store.WriteAsync(batch, default)).Inserts;
    }

    private async Task<LeasedJob?> LeaseAsync(JobId id, DateTimeOffset? at = null)
    {
        var batch = new JobWriteBatch();
        batch.Leases.Add(new LeaseRequest(id, "silo-a", at ?? T0, Margin));
        return (await Store.WriteAsync(batch, default)).Leases[0];
    }

    private async Task<bool> CompleteAsync(JobId id, long lease)
    {
        var batch = new JobWriteBatch();
        batch.Completions.Add(new Completion(id, lease, T0.AddSeconds(1)));
        return (await Store.WriteAsync(batch, default)).Completions[0];
    }

    private async Task<bool> RetryAsync(LeasedJob job, DateTimeOffset runAt, string message = "boom")
    {
        var batch = new JobWriteBatch();
        batch.Retries.Add(new Retry(job.Id, job.Lease, runAt, Error(job, message)));
        return (await Store.WriteAsync(batch, default)).Retries[0];
    }

    private async Task<bool> DeadLetterAsync(LeasedJob job, string message = "fatal")
    {
        var batch = new JobWriteBatch();
        batch.DeadLetters.Add(new DeadLetter(job.Id, job.Lease, Error(job, message)));
        return (await Store.WriteAsync(batch, default)).DeadLetters[0];
    }

    private static AttemptError Error(LeasedJob job, string message) =>
        new(job.Attempt, T0.AddSeconds(job.Attempt), "silo-a", "System.InvalidOperationException", message, $"System.InvalidOperationException: {message}\n   at Handler.Run()");

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
        var early = await Store.PromoteDueAsync(Queue(), T0.AddSeconds(9), 10, default);
        Assert.Empty(early.Promoted);
        Assert.Equal(T0.AddSeconds(10), early.NextDue);

        var due = await Store.PromoteDueAsync(Queue(), T0.AddSeconds(10), 10, default);
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

        var promotion = await Store.PromoteDueAsync(Queue(), T0.AddMinutes(1), 2, default);
        Assert.Equal([jobs[0].Id, jobs[1].Id], promotion.Promoted.Select(j => j.Id).Order());
        Assert.Equal(T0.AddSeconds(3), promotion.NextDue);
        Assert.Equal([jobs[0].Id, jobs[1].Id], (await Store.ReadReadyAsync(Queue(), null, 10, default)).Select(j => j.Id));
        Assert.Equal(T0.AddSeconds(3), await Store.GetNextDueAsync(Queue(), default));

        var rest = await Store.PromoteDueAsync(Queue(), T0.AddMinutes(1), 10, default);
        Assert.Equal(3, rest.Promoted.Count);
        Assert.Null(rest.NextDue);
    }

    [Fact]
    public async Task A_lease_starts_an_attempt_once_and_returns_the_payload()
    {
        var job = NewJob(payload: "{\"to\":\"a@example.com\"}");
        await InsertAsync(job);

        var leased = await LeaseAsync(job.Id);

        Assert.NotNull(leased);
        Assert.Equal(1, leased.Attempt);
        Assert.Equal(3, leased.MaxAttempts);
        Assert.Equal(Queue(), leased.Queue);
        Assert.Equal(TimeSpan.FromSeconds(30), leased.Timeout);
        Assert.Equal("{\"to\":\"a@example.com\"}", Encoding.UTF8.GetString(leased.Payload));
        Assert.Null(await LeaseAsync(job.Id));
        Assert.Empty(await Store.ReadReadyAsync(Queue(), null, 10, default));
        var info = await Store.GetJobAsync(_tenant, job.Id, default);
        Assert.Equal((JobState.Active, 1, T0), (info!.State, info.Attempt, info.StartedAt!.Value));
    }

    [Fact]
    public async Task A_job_inserted_to_start_at_once_is_active_under_its_first_lease()
    {
        var started = NewJob() with { Start = new ImmediateStart("silo-a", T0, Margin) };
        var waiting = NewJob();
        Assert.All(await InsertAsync(started, waiting), outcome => Assert.True(outcome.Created));

        // It never waits in the ready index, and cannot be leased a second time.
        Assert.Equal([waiting.Id], (await Store.ReadReadyAsync(Queue(), null, 10, default)).Select(j => j.Id));
        Assert.Null(await LeaseAsync(started.Id));
        var info = await Store.GetJobAsync(_tenant, started.Id, default);
        Assert.Equal((JobState.Active, 1, T0, "silo-a"), (info!.State, info.Attempt, info.StartedAt!.Value, info.LastSilo));
        Assert.True(await CompleteAsync(started.Id, started.FirstAttempt().Lease));
        Assert.Equal(JobState.Succeeded, (await Store.GetJobAsync(_tenant, started.Id, default))!.State);
    }

    [Fact]
    public async Task A_job_started_at_insert_whose_lease_expires_runs_again_as_attempt_two()
    {
        var started = NewJob() with { Start = new ImmediateStart("silo-a", T0, Margin) };
        await InsertAsync(started);

        // The lease lasts the job's timeout (30 s) plus the margin (1 min), as a leased attempt's does.
        Assert.Equal(0, await Store.RequeueActiveAsync(Queue(), T0.AddSeconds(89), [], default));
        Assert.Equal(1, await Store.RequeueActiveAsync(Queue(), T0.AddSeconds(91), [], default));
        var rerun = (await LeaseAsync(started.Id))!;
        Assert.Equal((2, 2L), (rerun.Attempt, rerun.Lease));
        Assert.False(await CompleteAsync(started.Id, started.FirstAttempt().Lease));
        Assert.True(await CompleteAsync(started.Id, rerun.Lease));
    }

    [Fact]
    public async Task Completing_with_the_current_lease_succeeds_once()
    {
        var job = NewJob();
        await InsertAsync(job);
        var leased = (await LeaseAsync(job.Id))!;

        Assert.False(await CompleteAsync(job.Id, leased.Lease + 1));
        Assert.True(await CompleteAsync(job.Id, leased.Lease));
        Assert.False(await CompleteAsync(job.Id, leased.Lease));

        var info = await Store.GetJobAsync(_tenant, job.Id, default);
        Assert.Equal(JobState.Succeeded, info!.State);
        Assert.Equal(T0.AddSeconds(1), info.FinishedAt);
        Assert.Equal("silo-a", info.LastSilo);
    }

    [Fact]
    public async Task A_retry_reschedules_and_fences_off_the_old_lease()
    {
        var job = NewJob();
        await InsertAsync(job);
        var first = (await LeaseAsync(job.Id))!;

        Assert.True(await RetryAsync(first, T0.AddSeconds(5), "timeout talking to smtp"));
        var info = await Store.GetJobAsync(_tenant, job.Id, default);
        Assert.Equal((JobState.Scheduled, T0.AddSeconds(5), "timeout talking to smtp"), (info!.State, info.RunAt, info.LastError));
        Assert.Equal(T0.AddSeconds(5), await Store.GetNextDueAsync(Queue(), default));

        await Store.PromoteDueAsync(Queue(), T0.AddSeconds(5), 10, default);
        var second = (await LeaseAsync(job.Id))!;
        Assert.Equal(2, second.Attempt);
        Assert.True(second.Lease > first.Lease);

        // The first attempt's owner reports late: refused, whatever it says.
        Assert.False(await CompleteAsync(job.Id, first.Lease));
        Assert.False(await RetryAsync(first, T0.AddSeconds(9)));
        Assert.False(await DeadLetterAsync(first));
        Assert.True(await CompleteAsync(job.Id, second.Lease));
    }

    [Fact]
    public async Task A_dead_letter_keeps_payload_and_every_attempts_error()
    {
        var job = NewJob(payload: "{\"url\":\"https://x\"}");
        await InsertAsync(job);
        var first = (await LeaseAsync(job.Id))!;
        await RetryAsync(first, T0, "503 from upstream");
        await Store.PromoteDueAsync(Queue(), T0, 10, default);
        var second = (await LeaseAsync(job.Id))!;
        Assert.True(await DeadLetterAsync(second, "410 gone"));

        var dead = await Store.GetDeadAsync(_tenant, job.Id, default);

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
        Assert.Null(await Store.GetDeadAsync("someone-else", job.Id, default));
    }

    [Fact]
    public async Task Replay_by_id_requeues_with_fresh_attempts_and_counts_the_replay()
    {
        var job = NewJob();
        await InsertAsync(job);
        await DeadLetterAsync((await LeaseAsync(job.Id))!);

        var replayed = await Store.ReplayAsync(_tenant, job.Id, new DeadLetterFilter(), 1, T0.AddMinutes(1), default);

        Assert.Equal([new ReplayedJob(job.Id, Queue())], replayed);
        var info = await Store.GetJobAsync(_tenant, job.Id, default);
        Assert.Equal((JobState.Enqueued, 0, 1, T0.AddMinutes(1)), (info!.State, info.Attempt, info.ReplayCount, info.RunAt));
        Assert.Null(info.FinishedAt);
        Assert.Equal([job.Id], (await Store.ReadReadyAsync(Queue(), null, 10, default)).Select(j => j.Id));

        var again = (await LeaseAsync(job.Id))!;
        Assert.Equal(1, again.Attempt);
        Assert.Empty(await Store.ReplayAsync(_tenant, job.Id, new DeadLetterFilter(), 1, T0, default));
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
        var replayed = await Store.ReplayAsync(_tenant, null, filter, 100, T0, default);

        Assert.Equal(timeouts.Select(j => j.Id).Order(), replayed.Select(r => r.Id).Order());
        Assert.Empty(await Store.ReplayAsync("someone-else", null, new DeadLetterFilter(), 100, T0, default));
        Assert.Equal(JobState.Dead, (await Store.GetJobAsync(_tenant, other.Id, default))!.State);
        Assert.Single(await Store.ReplayAsync(_tenant, null, new DeadLetterFilter(), 1, T0, default));
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
    public async Task An_idempotency_key_returns_the_first_job_and_creates_nothing()
    {
        var first = NewJob(key: "order-42");
        var again = NewJob(key: "order-42");
        var otherKey = NewJob(key: "order-43");

        var outcomes = await InsertAsync(first);
        var repeat = await InsertAsync(again, otherKey);

        Assert.Equal(new InsertOutcome(first.Id, true), outcomes[0]);
        Assert.Equal(new InsertOutcome(first.Id, false), repeat[0]);
        Assert.Equal(new InsertOutcome(otherKey.Id, true), repeat[1]);
        Assert.Null(await Store.GetJobAsync(_tenant, again.Id, default));
        Assert.Equal(2, (await Store.ReadReadyAsync(Queue(), null, 10, default)).Count);
    }

    [Fact]
    public async Task The_same_idempotency_key_twice_in_one_batch_creates_one_job()
    {
        var a = NewJob(key: "k1");
        var b = NewJob(key: "k1");
        var outcomes = await InsertAsync(a, b);
        Assert.Equal([new InsertOutcome(a.Id, true), new InsertOutcome(a.Id, false)], outcomes);
    }

    [Fact]
    public async Task Idempotency_keys_are_per_tenant_and_expire()
    {
        var mine = NewJob(key: "shared");
        var theirs = NewJob(new QueueKey(_tenant + "x", "email.send"), key: "shared");
        Assert.True((await InsertAsync(mine))[0].Created);
        Assert.True((await InsertAsync(theirs))[0].Created);

        var afterRetention = NewJob(key: "shared") with { CreatedAt = T0.AddHours(2), RunAt = T0.AddHours(2), IdempotencyExpiresAt = T0.AddHours(3) };
        Assert.Equal(new InsertOutcome(afterRetention.Id, true), (await InsertAsync(afterRetention))[0]);
    }

    [Fact]
    public async Task A_failed_batch_stores_nothing()
    {
        var good = NewJob();
        var duplicateId = NewJob() with { Id = good.Id };
        await Assert.ThrowsAnyAsync<Exception>(() => InsertAsync(good, duplicateId));

        Assert.Null(await Store.GetJobAsync(_tenant, good.Id, default));
        Assert.Empty(await Store.ReadReadyAsync(Queue(), null, 10, default));
        Assert.True((await InsertAsync(NewJob()))[0].Created);
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
        Assert.Equal(0, await Store.RequeueActiveAsync(Queue(), T0.AddSeconds(89), [], default));
        Assert.Equal(1, await Store.RequeueActiveAsync(Queue(), T0.AddSeconds(91), [], default));

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

        Assert.Equal(1, await Store.RequeueActiveAsync(Queue(), T0.AddHours(1), [held.Id], default));

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

        Assert.Equal(2, await Store.RequeueActiveAsync(Queue(), null, [], default));
        Assert.Equal(2, (await Store.ReadReadyAsync(Queue(), null, 10, default)).Count);
        Assert.Equal(JobState.Active, (await Store.GetJobAsync(_tenant, elsewhere.Id, default))!.State);
    }

    [Fact]
    public async Task Only_waiting_jobs_of_the_tenant_can_be_cancelled()
    {
        var waiting = NewJob();
        var scheduled = NewJob(runAt: T0.AddHours(1));
        var running = NewJob();
        await InsertAsync(waiting, scheduled, running);
        await LeaseAsync(running.Id);

        Assert.False(await Store.CancelAsync("someone-else", waiting.Id, T0, default));
        Assert.True(await Store.CancelAsync(_tenant, waiting.Id, T0, default));
        Assert.True(await Store.CancelAsync(_tenant, scheduled.Id, T0, default));
        Assert.False(await Store.CancelAsync(_tenant, running.Id, T0, default));
        Assert.False(await Store.CancelAsync(_tenant, waiting.Id, T0, default));

        Assert.Equal(JobState.Cancelled, (await Store.GetJobAsync(_tenant, waiting.Id, default))!.State);
        Assert.Null(await LeaseAsync(waiting.Id));
        Assert.Null(await Store.GetNextDueAsync(Queue(), default));
    }

    [Fact]
    public async Task A_running_job_cancelled_under_its_lease_ends_cancelled_with_the_reason_kept()
    {
        var job = NewJob();
        await InsertAsync(job);
        var leased = (await LeaseAsync(job.Id))!;
        var reason = new AttemptError(1, T0.AddSeconds(3), "silo-a", "OrleansJobs.JobCancelledException", "Cancelled; the handler stopped.", null);

        var stale = new JobWriteBatch();
        stale.Cancellations.Add(new CancelledRun(job.Id, leased.Lease - 1, reason));
        Assert.False((await Store.WriteAsync(stale, default)).Cancellations[0]);

        var batch = new JobWriteBatch();
        batch.Cancellations.Add(new CancelledRun(job.Id, leased.Lease, reason));
        Assert.True((await Store.WriteAsync(batch, default)).Cancellations[0]);

        var info = await Store.GetJobAsync(_tenant, job.Id, default);
        Assert.Equal((JobState.Cancelled, T0.AddSeconds(3), "Cancelled; the handler stopped."), (info!.State, info.FinishedAt!.Value, info.LastError));
        Assert.False(await CompleteAsync(job.Id, leased.Lease));
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

        Assert.Empty(await Store.ShedAsync(Queue(), JobPriority.Normal, 3, "full", T0, default));
        Assert.Empty(await Store.ShedAsync(Queue(), JobPriority.Low, 1, "full", T0, default));

        Assert.Equal([lowNew.Id], await Store.ShedAsync(Queue(), JobPriority.Normal, 1, "queue full", T0, default));
        Assert.Equal([lowOld.Id, normal.Id], (await Store.ShedAsync(Queue(), JobPriority.High, 2, "queue full", T0, default)).Order());

        var shed = await Store.GetJobAsync(_tenant, lowNew.Id, default);
        Assert.Equal((JobState.Cancelled, "queue full"), (shed!.State, shed.LastError));
        Assert.Equal([high.Id], (await Store.ReadReadyAsync(Queue(), null, 10, default)).Select(j => j.Id));
        Assert.Equal(JobState.Scheduled, (await Store.GetJobAsync(_tenant, lowScheduled.Id, default))!.State);
    }

    [Fact]
    public async Task Jobs_are_invisible_to_other_tenants()
    {
        var job = NewJob();
        await InsertAsync(job);
        Assert.NotNull(await Store.GetJobAsync(_tenant, job.Id, default));
        Assert.Null(await Store.GetJobAsync("someone-else", job.Id, default));
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

        Assert.Single((await Store.PromoteDueAsync(Queue(), T0.AddHours(1.5), 10, default)).Promoted);
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

        Assert.Single(await Store.ReplayAsync(_tenant, dead.Id, new DeadLetterFilter(), 10, T0, default));
        Assert.True(await Store.CancelAsync(_tenant, jobs[7].Id, T0, default));
        Assert.Single(await Store.ShedAsync(Queue(), JobPriority.High, 1, "full", T0, default));
        await AssertCountsMatchJobsAsync(jobs);

        Assert.Equal(1, await Store.RequeueActiveAsync(Queue(), null, [], default));
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
        Assert.Null(await Store.GetQueuePolicyAsync(Queue(), default));
        var policy = new QueuePolicy { MaxConcurrency = 3, RatePerSecond = 2.5, Burst = 4, MaxBacklog = 1_000_000_000, MaxAttempts = 7, Timeout = TimeSpan.FromSeconds(90) };

        await Store.SetQueuePolicyAsync(Queue(), policy, T0, default);
        Assert.Equal(policy, await Store.GetQueuePolicyAsync(Queue(), default));
        Assert.Null(await Store.GetQueuePolicyAsync(Queue("other.type"), default));

        await Store.SetQueuePolicyAsync(Queue(), new QueuePolicy { RatePerSecond = 1 }, T0.AddMinutes(1), default);
        Assert.Equal(new QueuePolicy { RatePerSecond = 1 }, await Store.GetQueuePolicyAsync(Queue(), default));
    }

    [Fact]
    public async Task A_tenant_policy_override_is_stored_replaced_and_read_back_per_tenant()
    {
        Assert.Null(await Store.GetTenantPolicyAsync(_tenant, default));
        await Store.SetTenantPolicyAsync(_tenant, new TenantPolicy { MaxInFlight = 12 }, T0, default);
        Assert.Equal(new TenantPolicy { MaxInFlight = 12 }, await Store.GetTenantPolicyAsync(_tenant, default));
        Assert.Null(await Store.GetTenantPolicyAsync(_tenant + "x", default));

        await Store.SetTenantPolicyAsync(_tenant, new TenantPolicy(), T0.AddMinutes(1), default);
        Assert.Equal(new TenantPolicy(), await Store.GetTenantPolicyAsync(_tenant, default));
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
    public async Task Schedules_are_saved_read_listed_in_pages_and_deleted()
    {
        ScheduleInfo Schedule(string id, DateTimeOffset? next) => new()
        {
            Definition = new RecurringJob
            {
                Tenant = _tenant, Id = id, JobType = "email.send", Cron = "*/5 * * * * *", TimeZone = "Europe/Paris",
                Payload = "{\"to\":\"a@b.c\"}"u8.ToArray(), Priority = JobPriority.High, MaxAttempts = 2, Timeout = TimeSpan.FromSeconds(45), Misfire = MisfirePolicy.Skip,
            },
            NextOccurrence = next,
            CreatedAt = T0,
            UpdatedAt = T0,
        };

        Assert.Null(await Store.GetScheduleAsync(_tenant, "nightly", default));
        await Store.SaveScheduleAsync(Schedule("nightly", T0.AddSeconds(5)), default);
        var fired = Schedule("nightly", T0.AddSeconds(10)) with { LastOccurrence = T0.AddSeconds(5), LastJobId = _ids.Next(), UpdatedAt = T0.AddSeconds(6) };
        await Store.SaveScheduleAsync(fired, default);

        var read = (await Store.GetScheduleAsync(_tenant, "nightly", default))!;
        Assert.Equal(fired with { Definition = read.Definition }, read);
        Assert.Equal(fired.Definition with { Payload = read.Definition.Payload }, read.Definition);
        Assert.Equal(fired.Definition.Payload, read.Definition.Payload);

        foreach (var id in new[] { "a-1", "b.2", "c_3" })
        {
            await Store.SaveScheduleAsync(Schedule(id, null), default);
        }

        var first = await Store.ListSchedulesAsync(_tenant, 2, null, default);
        Assert.Equal(["a-1", "b.2"], first.Items.Select(s => s.Definition.Id));
        var second = await Store.ListSchedulesAsync(_tenant, 2, first.NextCursor, default);
        Assert.Equal(["c_3", "nightly"], second.Items.Select(s => s.Definition.Id));
        Assert.Null(second.NextCursor);
        Assert.Contains((_tenant, "nightly"), await Store.ListScheduleKeysAsync(default));

        Assert.True(await Store.DeleteScheduleAsync(_tenant, "nightly", default));
        Assert.False(await Store.DeleteScheduleAsync(_tenant, "nightly", default));
        Assert.Null(await Store.GetScheduleAsync(_tenant, "nightly", default));
    }

    [Fact]
    public async Task Api_keys_are_stored_hashed_listed_per_tenant_and_revoked_once()
    {
        var keys = (OrleansJobs.Security.IApiKeyStore)Store;
        var id = "k" + Guid.NewGuid().ToString("N")[..11];
        var admin = "a" + Guid.NewGuid().ToString("N")[..11];
        var producer = new OrleansJobs.Security.ApiKeyRecord(id, _tenant, OrleansJobs.Security.ApiKeyRole.Producer, "web app", [1, 2, 3], T0, null);
        await keys.CreateApiKeyAsync(producer, default);
        await keys.CreateApiKeyAsync(new(admin, null, OrleansJobs.Security.ApiKeyRole.Admin, "ops", [9], T0.AddSeconds(1), null), default);

        var read = (await keys.GetApiKeyAsync(id, default))!;
        Assert.Equal(producer with { SecretHash = read.SecretHash }, read);
        Assert.Equal([1, 2, 3], read.SecretHash);
        Assert.Equal([id], (await keys.ListApiKeysAsync(_tenant, default)).Select(k => k.Id));
        Assert.Contains(admin, (await keys.ListApiKeysAsync(null, default)).Select(k => k.Id));

        Assert.True(await keys.RevokeApiKeyAsync(id, T0.AddMinutes(1), default));
        Assert.False(await keys.RevokeApiKeyAsync(id, T0.AddMinutes(2), default));
        Assert.Equal(T0.AddMinutes(1), (await keys.GetApiKeyAsync(id, default))!.RevokedAt);
        Assert.Null(await keys.GetApiKeyAsync("nope", default));
    }

    [Fact]
    public async Task Data_protection_keys_are_kept_once_by_name_and_listed_oldest_first()
    {
        var keys = (OrleansJobs.Security.IDataProtectionKeyStore)Store;
        var (first, second) = ("key-" + Guid.NewGuid().ToString("N"), "key-" + Guid.NewGuid().ToString("N"));
        await keys.StoreDataProtectionKeyAsync(new(second, "<key id=\"2\"/>"), T0.AddMinutes(1), default);
        await keys.StoreDataProtectionKeyAsync(new(first, "<key id=\"1\"/>"), T0, default);
        await keys.StoreDataProtectionKeyAsync(new(first, "<key id=\"changed\"/>"), T0.AddMinutes(2), default);

        var listed = (await keys.ListDataProtectionKeysAsync(default)).Where(k => k.Name == first || k.Name == second).ToList();
        Assert.Equal([new(first, "<key id=\"1\"/>"), new(second, "<key id=\"2\"/>")], listed);
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
