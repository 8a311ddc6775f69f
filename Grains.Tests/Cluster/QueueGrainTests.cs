using System.Diagnostics;
using System.Text;

namespace OrleansJobs.Tests.Cluster;

public abstract class QueueGrainTests(ClusterFixture fixture)
{
    private readonly string _tenant = "t" + Guid.NewGuid().ToString("N")[..12];
    private JobProbe Probe => fixture.Probe;
    private IJobClient Jobs => fixture.Jobs;

    private async Task<JobInfo> WaitForStateAsync(JobId id, JobState state, TimeSpan? timeout = null)
    {
        JobInfo? info = null;
        await Probe.WaitForAsync(
            async () => (info = await Jobs.GetStatusAsync(_tenant, id))?.State == state,
            $"job {id} to be {state} (is {info?.State})",
            timeout);
        return info!;
    }

    [Fact]
    public async Task A_job_that_succeeds_runs_once()
    {
        var id = await Jobs.EnqueueAsync(_tenant, ClusterFixture.Noop, new ProbePayload());

        var info = await WaitForStateAsync(id, JobState.Succeeded);

        Assert.Equal(1, Probe.Successes(id));
        Assert.Single(Probe.Starts(id));
        Assert.Equal(1, info.Attempt);
        Assert.NotNull(info.FinishedAt);
    }

    [Fact]
    public async Task A_failing_job_retries_with_growing_delays_then_dead_letters_with_every_error()
    {
        var id = await Jobs.EnqueueAsync(_tenant, ClusterFixture.Flaky, new ProbePayload(Fail: true));

        await WaitForStateAsync(id, JobState.Dead);

        var starts = Probe.Starts(id);
        Assert.Equal([1, 2, 3, 4], starts.Select(s => s.Attempt));
        var gaps = starts.Zip(starts.Skip(1), (a, b) => b.At - a.At).ToArray();
        for (var n = 0; n < gaps.Length; n++)
        {
            // Never earlier than the policy allows for that retry...
            Assert.True(gaps[n] >= ClusterFixture.FlakyRetry.NominalDelay(n + 1) / 2, $"retry {n + 1} came after {gaps[n]}");
        }

        // ...and they grow: with factor 4 the third wait (at least 800 ms) outlasts the first (at most
        // 100 ms) by more than any scheduling hiccup on a loaded machine; neighbouring waits may not.
        Assert.True(gaps[2] > gaps[0], $"gaps did not grow: {string.Join(", ", gaps)}");

        var dead = await Jobs.GetDeadLetterAsync(_tenant, id);
        Assert.NotNull(dead);
        Assert.Equal(4, dead.Errors.Count);
        Assert.Equal([1, 2, 3, 4], dead.Errors.Select(e => e.Attempt));
        Assert.All(dead.Errors, e =>
        {
            Assert.Equal(typeof(InvalidOperationException).FullName, e.ErrorType);
            Assert.Contains("ProbeHandler", e.StackTrace);
            Assert.False(string.IsNullOrEmpty(e.Silo));
        });
        Assert.Equal("failed on attempt 4", dead.Errors[^1].Message);
        Assert.Equal("{\"delayMs\":0,\"fail\":true,\"nonRetryable\":false,\"gate\":null,\"snoozeFirstMs\":0,\"throttleFirstMs\":0}", Encoding.UTF8.GetString(dead.Payload));
        Assert.Contains(id, (await Jobs.ListDeadLettersAsync(_tenant)).Jobs.Select(j => j.Id));
    }

    [Fact]
    public async Task A_replayed_dead_letter_runs_again_and_keeps_its_history()
    {
        var id = await Jobs.EnqueueAsync(_tenant, ClusterFixture.Flaky, new ProbePayload(Fail: true, NonRetryable: true));
        await WaitForStateAsync(id, JobState.Dead);
        Assert.Single(Probe.Starts(id));

        Probe.Heal(id);
        Assert.True(await Jobs.ReplayAsync(_tenant, id));
        var info = await WaitForStateAsync(id, JobState.Succeeded);

        Assert.Equal(1, Probe.Successes(id));
        Assert.Equal((1, 1), (info.Attempt, info.ReplayCount));
        Assert.False(await Jobs.ReplayAsync(_tenant, id));
    }

    [Fact]
    public async Task Replay_by_filter_requeues_only_matching_jobs()
    {
        var refused = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => Jobs.EnqueueAsync(_tenant, ClusterFixture.Flaky, new ProbePayload(Fail: true, NonRetryable: true))));
        foreach (var id in refused)
        {
            await WaitForStateAsync(id, JobState.Dead);
            Probe.Heal(id);
        }

        Assert.Equal(0, await Jobs.ReplayAsync(_tenant, new DeadLetterFilter { ErrorContains = "no such text" }));
        Assert.Equal(3, await Jobs.ReplayAsync(_tenant, new DeadLetterFilter { JobType = ClusterFixture.Flaky, ErrorContains = "refused" }));
        foreach (var id in refused)
        {
            await WaitForStateAsync(id, JobState.Succeeded);
        }

        Assert.Empty((await Jobs.ListDeadLettersAsync(_tenant)).Jobs);
    }

    [Fact]
    public async Task A_non_retryable_error_dead_letters_at_once()
    {
        var id = await Jobs.EnqueueAsync(_tenant, ClusterFixture.Flaky, new ProbePayload(Fail: true, NonRetryable: true));
        await WaitForStateAsync(id, JobState.Dead);
        var dead = await Jobs.GetDeadLetterAsync(_tenant, id);
        Assert.Equal(typeof(NonRetryableJobException).FullName, Assert.Single(dead!.Errors).ErrorType);
    }

    [Fact]
    public async Task A_payload_that_does_not_fit_the_handler_is_a_poison_job_and_does_not_stall_the_queue()
    {
        var poison = await Jobs.EnqueueAsync(_tenant, ClusterFixture.Flaky, new { delayMs = "not a number" });
        var healthy = await Jobs.EnqueueAsync(_tenant, ClusterFixture.Flaky, new ProbePayload());

        await WaitForStateAsync(poison, JobState.Dead);
        await WaitForStateAsync(healthy, JobState.Succeeded);
        var dead = await Jobs.GetDeadLetterAsync(_tenant, poison);
        Assert.Equal(typeof(JobPayloadException).FullName, Assert.Single(dead!.Errors).ErrorType);
    }

    [Fact]
    public async Task A_handler_that_ignores_its_timeout_is_abandoned_and_the_attempt_fails()
    {
        var id = await Jobs.EnqueueAsync(_tenant, ClusterFixture.Stubborn, new ProbePayload(DelayMs: 5_000));
        var dead = await WaitForStateAsync(id, JobState.Dead);
        var error = Assert.Single((await Jobs.GetDeadLetterAsync(_tenant, id))!.Errors);
        Assert.Equal(typeof(JobTimeoutException).FullName, error.ErrorType);
        Assert.Contains("Abandoned", error.Message);
        Assert.Equal(1, dead.Attempt);
    }

    [Fact]
    public async Task A_delayed_job_does_not_run_early()
    {
        var delay = TimeSpan.FromSeconds(1.5);
        var before = DateTimeOffset.UtcNow;
        var delayed = await Jobs.EnqueueAfterAsync(_tenant, ClusterFixture.Noop, new ProbePayload(), delay);
        var scheduled = await Jobs.EnqueueAtAsync(_tenant, ClusterFixture.Noop, new ProbePayload(), before + delay);

        Assert.Equal(JobState.Scheduled, (await Jobs.GetStatusAsync(_tenant, delayed))!.State);
        await WaitForStateAsync(delayed, JobState.Succeeded);
        await WaitForStateAsync(scheduled, JobState.Succeeded);

        Assert.True(Probe.Starts(delayed)[0].At >= before + delay, $"ran at {Probe.Starts(delayed)[0].At:O}, due {before + delay:O}");
        Assert.True(Probe.Starts(scheduled)[0].At >= before + delay);
    }

    [Fact]
    public async Task A_queue_taken_down_with_a_delayed_job_pending_comes_back_in_time_to_run_it()
    {
        var delay = TimeSpan.FromSeconds(2);
        var before = DateTimeOffset.UtcNow;
        var delayed = await Jobs.EnqueueAfterAsync(_tenant, ClusterFixture.Noop, new ProbePayload(), delay);

        // Orleans takes the idle queue down, and its due timer with it, as it does one whose grain
        // directory entry died with another silo; its reminder would bring it back only after a minute.
        await fixture.Cluster.Client.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);

        await WaitForStateAsync(delayed, JobState.Succeeded, TimeSpan.FromSeconds(30));
        var late = Probe.Starts(delayed)[0].At - (before + delay);
        Assert.True(late < TimeSpan.FromSeconds(5), $"started {late.TotalSeconds:F1} s after it was due");
    }

    [Fact]
    public async Task The_concurrency_budget_is_reached_and_never_exceeded()
    {
        var ids = await Jobs.EnqueueManyAsync(Enumerable.Range(0, 40)
            .Select(_ => new JobRequest(_tenant, ClusterFixture.Slow, "{\"delayMs\":50}"u8.ToArray()))
            .ToList());

        await Probe.WaitForAsync(() => ids.All(id => Probe.Successes(id) == 1), "all slow jobs to finish");

        Assert.Equal(ClusterFixture.SlowConcurrency, Probe.MaxInFlight($"{_tenant}/{ClusterFixture.Slow}"));
    }

    [Fact]
    public async Task High_priority_jobs_run_before_an_earlier_normal_backlog()
    {
        // Fill the slow queue's budget with jobs that hold their slots until let go, then add normal
        // and high priority work; both enqueues have committed before the first slot frees.
        var gates = Enumerable.Range(0, ClusterFixture.SlowConcurrency).Select(i => $"{_tenant}-blocker-{i}").ToArray();
        var blockers = await Jobs.EnqueueManyAsync(gates
            .Select(gate => new JobRequest(_tenant, ClusterFixture.Slow, Encoding.UTF8.GetBytes($"{{\"gate\":\"{gate}\"}}"))).ToList());
        await Probe.WaitForAsync(() => blockers.All(id => Probe.Starts(id).Count == 1), "blockers to start");
        var normal = await Jobs.EnqueueManyAsync(Enumerable.Range(0, 8)
            .Select(_ => new JobRequest(_tenant, ClusterFixture.Slow, "{}"u8.ToArray())).ToList());
        var high = await Jobs.EnqueueAsync(_tenant, ClusterFixture.Slow, new ProbePayload(), new EnqueueOptions { Priority = JobPriority.High });

        // One slot frees: the high job takes it, and only after it do the normal ones start.
        Probe.Open(gates[0]);
        await Probe.WaitForAsync(() => normal.Append(high).Any(id => Probe.Starts(id).Count > 0), "the first waiting job to start");
        Assert.Single(Probe.Starts(high));
        foreach (var gate in gates.Skip(1))
        {
            Probe.Open(gate);
        }

        await Probe.WaitForAsync(() => normal.Append(high).All(id => Probe.Successes(id) == 1), "all jobs to finish");
        var highStart = Probe.Starts(high)[0].At;
        Assert.All(normal, id => Assert.True(Probe.Starts(id)[0].At >= highStart, "a normal job started before the high-priority one"));
    }

    [Fact]
    public async Task Ten_thousand_jobs_all_complete_exactly_once()
    {
        const int count = 10_000;
        var requests = Enumerable.Range(0, count).Select(_ => new JobRequest(_tenant, ClusterFixture.Noop, "{}"u8.ToArray())).ToList();
        var ids = new List<JobId>();
        var clock = Stopwatch.StartNew();
        foreach (var chunk in requests.Chunk(1_000))
        {
            ids.AddRange(await Jobs.EnqueueManyAsync(chunk));
        }

        Assert.Equal(count, ids.Distinct().Count());
        await Probe.WaitForAsync(() => ids.All(id => Probe.Successes(id) >= 1), "all 10 000 jobs to run", TimeSpan.FromMinutes(2));

        Assert.All(ids, id => Assert.Equal(1, Probe.Successes(id)));
        Assert.All(ids, id => Assert.Single(Probe.Starts(id)));
        await Probe.WaitForAsync(
            async () => (await fixture.Store.GetQueueCountsAsync(new QueueKey(_tenant, ClusterFixture.Noop), default)).Succeeded == count,
            "store to record every success");
        Console.WriteLine($"10 000 no-op jobs enqueued and run in {clock.Elapsed.TotalSeconds:F1} s (in-process silo, SQLite without fsync)");
    }

    [Fact]
    public async Task The_same_idempotency_key_returns_the_first_job_says_so_and_runs_it_once()
    {
        var options = new EnqueueOptions { IdempotencyKey = "invoice-7" };
        var first = await Jobs.EnqueueWithReceiptAsync(_tenant, ClusterFixture.Noop, new ProbePayload(), options);
        var second = await Jobs.EnqueueWithReceiptAsync(_tenant, ClusterFixture.Noop, new ProbePayload(DelayMs: 1), options);
        var plain = await Jobs.EnqueueAsync(_tenant, ClusterFixture.Noop, new ProbePayload(), options);
        var many = await Jobs.EnqueueManyWithReceiptsAsync(
        [
            new JobRequest(_tenant, ClusterFixture.Noop, "{}"u8.ToArray(), options),
            new JobRequest(_tenant, ClusterFixture.Noop, "{}"u8.ToArray()),
        ]);

        Assert.True(first.Created);
        Assert.Equal(new EnqueueReceipt(first.Id, Created: false), second);
        Assert.Equal(first.Id, plain);
        Assert.Equal(new EnqueueReceipt(first.Id, Created: false), many[0]);
        Assert.True(many[1].Created);
        await WaitForStateAsync(first.Id, JobState.Succeeded);
        Assert.Equal(1, Probe.Successes(first.Id));
    }

    [Fact]
    public async Task A_submission_sent_again_with_its_id_answers_with_that_job_and_runs_it_once()
    {
        // What the client does after a timeout: the same submission, with the id it chose, again and
        // again, some while the first is still on its way and some after the job ran.
        var queue = fixture.Cluster.Client.GetGrain<Grains.IQueueGrain>(new QueueKey(_tenant, ClusterFixture.Slow).ToString());
        var submission = new JobSubmission("{\"delayMs\":200}"u8.ToArray(), new EnqueueOptions(), Id: JobIdGenerator.Shared.Next());
        var together = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => queue.EnqueueAsync([submission])));
        await WaitForStateAsync(submission.Id!.Value, JobState.Succeeded);
        var after = await queue.EnqueueAsync([submission]);

        var receipts = together.Append(after).Select(r => Assert.Single(r)).ToList();
        Assert.All(receipts, r => Assert.Equal(submission.Id, r.Id));
        Assert.Single(receipts, r => r.Created);
        Assert.Equal(1, Probe.Successes(submission.Id.Value));
        Assert.Single(Probe.Starts(submission.Id.Value));
        Assert.Equal([submission.Id.Value], Probe.JobsOf(_tenant));

        // An id the client did not make now is refused, naming the field.
        var stale = submission with { Id = JobId.MinAt(DateTimeOffset.UtcNow.AddDays(-2)) };
        var error = await Assert.ThrowsAsync<JobValidationException>(() => queue.EnqueueAsync([stale]));
        Assert.Equal(("id", "out_of_range"), (error.Field, error.Code));
    }

    [Fact]
    public async Task Duplicate_enqueues_to_a_queue_with_room_give_back_the_slots_they_were_offered()
    {
        // Each duplicate arrives while the queue has room, so it is offered a slot to start at once;
        // refused as a duplicate, it must hand the slot back or the queue would stop starting jobs.
        var options = new EnqueueOptions { IdempotencyKey = "report-1" };
        var first = await Jobs.EnqueueAsync(_tenant, ClusterFixture.Slow, new ProbePayload(), options);
        await WaitForStateAsync(first, JobState.Succeeded);
        for (var i = 0; i < ClusterFixture.SlowConcurrency * 3; i++)
        {
            Assert.Equal(first, await Jobs.EnqueueAsync(_tenant, ClusterFixture.Slow, new ProbePayload(), options));
        }

        var fresh = await Jobs.EnqueueManyAsync(Enumerable.Range(0, ClusterFixture.SlowConcurrency)
            .Select(_ => new JobRequest(_tenant, ClusterFixture.Slow, "{\"delayMs\":100}"u8.ToArray())).ToList());

        await Probe.WaitForAsync(() => fresh.All(id => Probe.Successes(id) == 1), "fresh jobs to run after the duplicates");
        Assert.Equal(1, Probe.Successes(first));
        Assert.Equal(ClusterFixture.SlowConcurrency, Probe.MaxInFlight($"{_tenant}/{ClusterFixture.Slow}"));
    }

    [Fact]
    public async Task A_waiting_job_can_be_cancelled_and_never_runs()
    {
        var id = await Jobs.EnqueueAfterAsync(_tenant, ClusterFixture.Noop, new ProbePayload(), TimeSpan.FromMinutes(5));

        Assert.True(await Jobs.CancelAsync(_tenant, id));
        Assert.False(await Jobs.CancelAsync(_tenant, id));
        Assert.False(await Jobs.CancelAsync("someone-else", id));
        Assert.Equal(JobState.Cancelled, (await Jobs.GetStatusAsync(_tenant, id))!.State);
        Assert.Empty(Probe.Starts(id));
    }

    [Fact]
    public async Task A_running_job_can_be_cancelled_and_its_handler_sees_the_token()
    {
        var id = await Jobs.EnqueueAsync(_tenant, ClusterFixture.Slow, new ProbePayload(DelayMs: 30_000));
        await Probe.WaitForAsync(() => Probe.Starts(id).Count == 1, "the job to start");

        Assert.True(await Jobs.CancelAsync(_tenant, id));
        var info = await WaitForStateAsync(id, JobState.Cancelled, TimeSpan.FromSeconds(10));

        Assert.Equal(0, Probe.Successes(id));
        Assert.Single(Probe.Starts(id));
        Assert.Equal("Cancelled; the handler stopped.", info.LastError);
        Assert.False(await Jobs.CancelAsync(_tenant, id));
    }

    [Fact]
    public async Task A_running_handler_that_ignores_cancellation_is_abandoned_and_the_job_cancelled()
    {
        var id = await Jobs.EnqueueAsync(_tenant, ClusterFixture.StubbornLong, new ProbePayload(DelayMs: 30_000));
        await Probe.WaitForAsync(() => Probe.Starts(id).Count == 1, "the job to start");

        Assert.True(await Jobs.CancelAsync(_tenant, id));
        var info = await WaitForStateAsync(id, JobState.Cancelled, TimeSpan.FromSeconds(10));

        Assert.Contains("abandoned", info.LastError);
        Assert.Equal(1, info.Attempt);
    }

    [Fact]
    public async Task Bad_input_is_refused_with_the_field_named_and_leaves_no_trace()
    {
        var unknown = await Assert.ThrowsAsync<UnknownJobTypeException>(() => Jobs.EnqueueAsync(_tenant, "no.such-type", new { }));
        Assert.Equal("jobType", unknown.Field);

        var delay = await Assert.ThrowsAsync<JobValidationException>(() => Jobs.EnqueueAfterAsync(_tenant, ClusterFixture.Noop, new { }, TimeSpan.FromSeconds(-1)));
        Assert.Equal("options.delay", delay.Field);

        var attempts = await Assert.ThrowsAsync<JobValidationException>(() => Jobs.EnqueueAsync(_tenant, ClusterFixture.Noop, new { }, new EnqueueOptions { MaxAttempts = 0 }));
        Assert.Equal("options.maxAttempts", attempts.Field);

        var big = await Assert.ThrowsAsync<JobValidationException>(() => Jobs.EnqueueAsync(_tenant, ClusterFixture.Noop, new string('x', 300 * 1024)));
        Assert.Equal("payload", big.Field);

        var tenant = await Assert.ThrowsAsync<JobValidationException>(() => Jobs.EnqueueAsync("../../etc", ClusterFixture.Noop, new { }));
        Assert.Equal("tenant", tenant.Field);

        // In a bulk enqueue one bad job refuses them all, naming its index.
        var bulk = await Assert.ThrowsAsync<JobValidationException>(() => Jobs.EnqueueManyAsync(
        [
            new JobRequest(_tenant, ClusterFixture.Noop, "{}"u8.ToArray()),
            new JobRequest(_tenant, ClusterFixture.Noop, "{not json"u8.ToArray()),
        ]));
        Assert.Equal("jobs[1].payload", bulk.Field);

        // Strict JSON through the .NET client as over HTTP: valid UTF-8, no property named twice.
        var notUtf8 = await Assert.ThrowsAsync<JobValidationException>(() => Jobs.EnqueueManyAsync([new JobRequest(_tenant, ClusterFixture.Noop, new byte[] { (byte)'"', 0xFF, (byte)'"' })]));
        Assert.Equal(("jobs[0].payload", "invalid_utf8"), (notUtf8.Field, notUtf8.Code));
        var twice = await Assert.ThrowsAsync<JobValidationException>(() => Jobs.EnqueueManyAsync([new JobRequest(_tenant, ClusterFixture.Noop, """{"to":"a","to":"b"}"""u8.ToArray())]));
        Assert.Equal(("jobs[0].payload", "duplicate_property"), (twice.Field, twice.Code));

        var counts = await fixture.Store.GetQueueCountsAsync(new QueueKey(_tenant, ClusterFixture.Noop), default);
        Assert.Equal(new OrleansJobs.Storage.QueueCounts(0, 0, 0, 0, 0, null), counts);
        Assert.Equal(0, (await fixture.Store.GetQueueCountsAsync(new QueueKey(_tenant, "no.such-type"), default)).Enqueued);
    }

    [Fact]
    public async Task The_silo_checks_submissions_even_when_a_client_does_not()
    {
        var queue = fixture.Cluster.Client.GetGrain<Grains.IQueueGrain>($"{_tenant}/{ClusterFixture.Noop}");
        var error = await Assert.ThrowsAsync<JobValidationException>(() => queue.EnqueueAsync([new JobSubmission("{oops"u8.ToArray(), new EnqueueOptions())]));
        Assert.Equal("payload", error.Field);
        var notUtf8 = await Assert.ThrowsAsync<JobValidationException>(() => queue.EnqueueAsync([new JobSubmission([(byte)'"', 0xC3, (byte)'"'], new EnqueueOptions())]));
        Assert.Equal(("payload", "invalid_utf8"), (notUtf8.Field, notUtf8.Code));
        Assert.Equal(0, (await fixture.Store.GetQueueCountsAsync(new QueueKey(_tenant, ClusterFixture.Noop), default)).Enqueued);
    }
}

[Collection(ClusterCollection.Name)]
public sealed class QueueGrainTestsOnSqlite(SqliteClusterFixture fixture) : QueueGrainTests(fixture);

[Collection(PostgresClusterCollection.Name)]
public sealed class QueueGrainTestsOnPostgres(PostgresClusterFixture fixture) : QueueGrainTests(fixture);
