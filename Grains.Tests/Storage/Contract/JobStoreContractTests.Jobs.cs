using System.Text;
using OrleansJobs.Storage;

namespace OrleansJobs.Tests.Storage;

/// <summary>One job's life: leases, starts at insert, outcomes, idempotency keys, cancels, tenant isolation.</summary>
public abstract partial class JobStoreContractTests
{
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
        Assert.Equal(0, await RequeueAsync(new RequeueExpired(Queue(), T0.AddSeconds(89), [])));
        Assert.Equal(1, await RequeueAsync(new RequeueExpired(Queue(), T0.AddSeconds(91), [])));
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
    public async Task A_job_id_sent_again_stores_nothing_and_leaves_the_first_job_as_it_is()
    {
        var first = NewJob(payload: "{\"n\":1}");
        Assert.True((await InsertAsync(first)).Single().Created);
        Assert.NotNull(await LeaseAsync(first.Id));

        // A client's retry, in a later flush, and twice in one flush.
        var again = first with { Payload = Encoding.UTF8.GetBytes("{\"n\":2}"), CreatedAt = T0.AddSeconds(30) };
        var twice = NewJob();
        var outcomes = await InsertAsync(again, twice, twice with { Payload = Encoding.UTF8.GetBytes("{\"n\":3}") });

        Assert.Equal([(first.Id, false), (twice.Id, true), (twice.Id, false)], outcomes.Select(o => (o.Id, o.Created)));
        var kept = (await Store.GetJobAsync(_tenant, first.Id, default))!;
        Assert.Equal((JobState.Active, 1, T0), (kept.State, kept.Attempt, kept.CreatedAt));
        var leased = (await LeaseAsync(twice.Id))!;
        Assert.Equal("{\"n\":1}", Encoding.UTF8.GetString(leased.Payload));
        Assert.Equal(2, (await Store.GetQueueCountsAsync(Queue(), default)).Active);
    }

    [Fact]
    public async Task An_outcome_records_when_and_where_the_handler_ran_in_place_of_the_lease()
    {
        // Leased at T0 by silo-a; the handler started 400 ms later on silo-b (a spill-over silo).
        var ran = new AttemptRan(T0.AddMilliseconds(400), "silo-b");
        var done = NewJob();
        var retried = NewJob();
        var dead = NewJob();
        await InsertAsync(done, retried, dead);
        var leases = new[] { (await LeaseAsync(done.Id))!, (await LeaseAsync(retried.Id))!, (await LeaseAsync(dead.Id))! };

        var batch = new JobWriteBatch();
        batch.Completions.Add(new Completion(done.Id, leases[0].Lease, T0.AddSeconds(1), ran));
        batch.Retries.Add(new Retry(retried.Id, leases[1].Lease, T0.AddSeconds(5), Error(leases[1], "boom") with { Silo = "silo-b" }, ran));
        batch.DeadLetters.Add(new DeadLetter(dead.Id, leases[2].Lease, Error(leases[2], "fatal") with { Silo = "silo-b" }, ran));
        var written = await Store.WriteAsync(batch, default);
        Assert.True(written.Completions[0] && written.Retries[0] && written.DeadLetters[0]);

        foreach (var id in new[] { done.Id, retried.Id, dead.Id })
        {
            var info = (await Store.GetJobAsync(_tenant, id, default))!;
            Assert.Equal((T0.AddMilliseconds(400), "silo-b"), (info.StartedAt!.Value, info.LastSilo));
        }

        // An outcome whose handler never started (a lost attempt) keeps what the lease wrote.
        var lost = NewJob();
        await InsertAsync(lost);
        var lease = (await LeaseAsync(lost.Id))!;
        Assert.True(await RetryAsync(lease, T0.AddSeconds(5)));
        var kept = (await Store.GetJobAsync(_tenant, lost.Id, default))!;
        Assert.Equal((T0, "silo-a"), (kept.StartedAt!.Value, kept.LastSilo));
    }

    [Fact]
    public async Task A_snooze_reschedules_without_counting_the_attempt_or_recording_an_error()
    {
        var job = NewJob();
        await InsertAsync(job);
        var first = (await LeaseAsync(job.Id))!;

        var batch = new JobWriteBatch();
        batch.Snoozes.Add(new Snooze(job.Id, first.Lease + 1, T0.AddSeconds(5)));
        batch.Snoozes.Add(new Snooze(job.Id, first.Lease, T0.AddSeconds(5), new AttemptRan(T0.AddMilliseconds(20), "silo-b")));
        var snoozed = (await Store.WriteAsync(batch, default)).Snoozes;
        Assert.Equal([false, true], snoozed);

        var info = (await Store.GetJobAsync(_tenant, job.Id, default))!;
        Assert.Equal((JobState.Scheduled, T0.AddSeconds(5), 0, (string?)null, "silo-b"), (info.State, info.RunAt, info.Attempt, info.LastError, info.LastSilo));
        Assert.Equal(T0.AddSeconds(5), await Store.GetNextDueAsync(Queue(), default));
        Assert.False(await CompleteAsync(job.Id, first.Lease));

        await PromoteDueAsync(Queue(), T0.AddSeconds(5), 10);
        var again = (await LeaseAsync(job.Id))!;
        Assert.Equal((1, first.Lease + 1), (again.Attempt, again.Lease));
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

        await PromoteDueAsync(Queue(), T0.AddSeconds(5), 10);
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
    public async Task Idempotency_keys_are_per_tenant_and_held_until_the_retention_has_passed_since_their_job_ended()
    {
        // Delayed three hours, with an hour's retention: the key must outlive the hour after the enqueue.
        var mine = NewJob(key: "shared", runAt: T0.AddHours(3));
        var theirs = NewJob(new QueueKey(_tenant + "x", "email.send"), key: "shared");
        Assert.True((await InsertAsync(mine))[0].Created);
        Assert.True((await InsertAsync(theirs))[0].Created);
        NewJob At(double hours) => NewJob(key: "shared") with { CreatedAt = T0.AddHours(hours), RunAt = T0.AddHours(hours) };

        var whileWaiting = At(2);
        Assert.Equal(new InsertOutcome(mine.Id, false), (await InsertAsync(whileWaiting))[0]);

        await PromoteDueAsync(Queue(), T0.AddHours(3), 10);
        var leased = (await LeaseAsync(mine.Id, T0.AddHours(3)))!;
        Assert.True(await CompleteAsync(mine.Id, leased.Lease, T0.AddHours(3)));
        Assert.Equal(new InsertOutcome(mine.Id, false), (await InsertAsync(At(3.5)))[0]);

        var anHourAfterItEnded = At(4);
        Assert.Equal(new InsertOutcome(anHourAfterItEnded.Id, true), (await InsertAsync(anHourAfterItEnded))[0]);
    }

    [Fact]
    public async Task A_key_kept_no_time_after_its_job_ends_makes_the_job_unique_only_while_it_waits_or_runs()
    {
        NewJob Unique(int seconds = 0) => NewJob(key: "unique") with { CreatedAt = T0.AddSeconds(seconds), RunAt = T0.AddSeconds(seconds), IdempotencyRetention = TimeSpan.Zero };
        var first = Unique();
        Assert.True((await InsertAsync(first))[0].Created);
        Assert.Equal(new InsertOutcome(first.Id, false), (await InsertAsync(Unique()))[0]);

        var leased = (await LeaseAsync(first.Id))!;
        Assert.Equal(new InsertOutcome(first.Id, false), (await InsertAsync(Unique()))[0]);

        Assert.True(await CompleteAsync(first.Id, leased.Lease, T0.AddSeconds(1)));
        var next = Unique(seconds: 2);
        Assert.Equal(new InsertOutcome(next.Id, true), (await InsertAsync(next))[0]);
    }

    [Fact]
    public async Task A_failed_batch_stores_nothing()
    {
        // A row the schema refuses (no payload) fails the insert of the whole batch.
        var good = NewJob();
        var refused = NewJob() with { Payload = null! };
        await Assert.ThrowsAnyAsync<Exception>(() => InsertAsync(good, refused));

        Assert.Null(await Store.GetJobAsync(_tenant, good.Id, default));
        Assert.Empty(await Store.ReadReadyAsync(Queue(), null, 10, default));
        Assert.True((await InsertAsync(NewJob()))[0].Created);
    }

    [Fact]
    public async Task Only_waiting_jobs_of_the_tenant_can_be_cancelled()
    {
        var waiting = NewJob();
        var scheduled = NewJob(runAt: T0.AddHours(1));
        var running = NewJob();
        await InsertAsync(waiting, scheduled, running);
        await LeaseAsync(running.Id);

        Assert.False(await CancelAsync("someone-else", waiting.Id));
        Assert.True(await CancelAsync(_tenant, waiting.Id));
        Assert.True(await CancelAsync(_tenant, scheduled.Id));
        Assert.False(await CancelAsync(_tenant, running.Id));
        Assert.False(await CancelAsync(_tenant, waiting.Id));

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
    public async Task Jobs_are_invisible_to_other_tenants()
    {
        var job = NewJob();
        await InsertAsync(job);
        Assert.NotNull(await Store.GetJobAsync(_tenant, job.Id, default));
        Assert.Null(await Store.GetJobAsync("someone-else", job.Id, default));
    }
}
