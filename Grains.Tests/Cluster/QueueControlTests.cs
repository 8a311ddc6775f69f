using System.Text.Json;

namespace OrleansJobs.Tests.Cluster;

/// <summary>What handlers and people can tell a queue beyond succeed or fail: snooze, throttle, pause.</summary>
public abstract class QueueControlTests(ClusterFixture fixture)
{
    private readonly string _tenant = "c" + Guid.NewGuid().ToString("N")[..12];
    private JobProbe Probe => fixture.Probe;
    private IJobClient Jobs => fixture.Jobs;

    private async Task<JobInfo> WaitForStateAsync(JobId id, JobState state)
    {
        JobInfo? info = null;
        await Probe.WaitForAsync(
            async () => (info = await Jobs.GetStatusAsync(_tenant, id))?.State == state,
            $"job {id} to be {state} (is {info?.State})");
        return info!;
    }

    [Fact]
    public async Task A_snoozed_job_runs_again_later_without_spending_an_attempt()
    {
        // One attempt allowed: a snooze that counted would leave none for the second run.
        var id = await Jobs.EnqueueAsync(_tenant, ClusterFixture.Noop, new ProbePayload(SnoozeFirstMs: 300), new EnqueueOptions { MaxAttempts = 1 });

        var info = await WaitForStateAsync(id, JobState.Succeeded);

        var starts = Probe.Starts(id);
        Assert.Equal([1, 1], starts.Select(s => s.Attempt));
        Assert.True(starts[1].At - starts[0].At >= TimeSpan.FromMilliseconds(300), $"ran again after {starts[1].At - starts[0].At}");
        Assert.Equal((1, 1, (string?)null), (info.Attempt, info.MaxAttempts, info.LastError));
        Assert.Null(await Jobs.GetDeadLetterAsync(_tenant, id));
    }

    [Fact]
    public async Task A_throttled_downstream_backs_the_whole_queue_off_without_spending_attempts()
    {
        var throttled = await Jobs.EnqueueAsync(_tenant, ClusterFixture.Slow, new ProbePayload(ThrottleFirstMs: 3000), new EnqueueOptions { MaxAttempts = 1 });
        await Probe.WaitForAsync(async () => (await Jobs.GetStatusAsync(_tenant, throttled))?.State == JobState.Scheduled, "the throttled job to wait for its retry-after");
        var waiting = await Jobs.EnqueueAsync(_tenant, ClusterFixture.Slow, new ProbePayload());
        var backingOff = (await Jobs.GetQueueStatsAsync(_tenant, ClusterFixture.Slow)).BackingOffUntil;

        await WaitForStateAsync(throttled, JobState.Succeeded);
        await WaitForStateAsync(waiting, JobState.Succeeded);

        // The queue had free slots, yet started nothing until the downstream's retry-after was over.
        var throttledAt = Probe.Starts(throttled)[0].At;
        Assert.True(Probe.Starts(waiting)[0].At - throttledAt >= TimeSpan.FromMilliseconds(2999), $"the other job started {Probe.Starts(waiting)[0].At - throttledAt} after the throttle");
        Assert.InRange(backingOff!.Value, throttledAt.AddMilliseconds(2999), throttledAt.AddSeconds(30));
        Assert.Null((await Jobs.GetQueueStatsAsync(_tenant, ClusterFixture.Slow)).BackingOffUntil);
        Assert.Equal([1, 1], Probe.Starts(throttled).Select(s => s.Attempt));
        Assert.Equal((1, (string?)null), ((await Jobs.GetStatusAsync(_tenant, throttled))!.Attempt, (await Jobs.GetStatusAsync(_tenant, throttled))!.LastError));
    }

    [Fact]
    public async Task A_paused_queue_takes_jobs_and_starts_none_even_after_it_moves_until_it_is_resumed()
    {
        Assert.True((await Jobs.PauseQueueAsync(_tenant, ClusterFixture.Noop)).Paused);
        var ids = await Jobs.EnqueueManyAsync([.. Enumerable.Range(0, 3).Select(_ => new JobRequest(_tenant, ClusterFixture.Noop, "{}"u8.ToArray()))]);

        // Taken down and activated again, as a restart or a move to another silo does: it reads its pause back.
        await fixture.Cluster.Client.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
        Assert.True((await Jobs.GetQueueStatsAsync(_tenant, ClusterFixture.Noop)).Paused);

        // Nothing to await for an absence: a paused queue is watched for a while, in which a running one starts its jobs within milliseconds.
        await Task.Delay(500);
        var stats = await Jobs.GetQueueStatsAsync(_tenant, ClusterFixture.Noop);
        Assert.Equal((true, 3L, 0L), (stats.Paused, stats.Enqueued, stats.Active));
        Assert.All(ids, id => Assert.Empty(Probe.Starts(id)));

        Assert.False((await Jobs.ResumeQueueAsync(_tenant, ClusterFixture.Noop)).Paused);
        foreach (var id in ids)
        {
            await WaitForStateAsync(id, JobState.Succeeded);
        }

        Assert.False((await Jobs.GetQueueStatsAsync(_tenant, ClusterFixture.Noop)).Paused);
    }

    [Fact]
    public async Task A_job_unique_while_it_waits_or_runs_is_answered_for_its_key_until_it_ends_and_not_after()
    {
        var gate = _tenant + "-unique";
        var options = new EnqueueOptions { IdempotencyKey = "sync-customer-42", IdempotencyRetention = TimeSpan.Zero };
        var first = await Jobs.EnqueueWithReceiptAsync(_tenant, ClusterFixture.Slow, new ProbePayload(Gate: gate), options);
        Assert.True(first.Created);
        await Probe.WaitForAsync(() => Probe.Starts(first.Id).Count == 1, "the first job to start");

        Assert.Equal(first with { Created = false }, await Jobs.EnqueueWithReceiptAsync(_tenant, ClusterFixture.Slow, new ProbePayload(), options));

        Probe.Open(gate);
        await WaitForStateAsync(first.Id, JobState.Succeeded);
        var next = await Jobs.EnqueueWithReceiptAsync(_tenant, ClusterFixture.Slow, new ProbePayload(), options);
        Assert.True(next.Created);
        Assert.NotEqual(first.Id, next.Id);

        var noKey = await Assert.ThrowsAsync<JobValidationException>(() => Jobs.EnqueueAsync(_tenant, ClusterFixture.Slow, new ProbePayload(), new EnqueueOptions { IdempotencyRetention = TimeSpan.Zero }));
        Assert.Equal(("options.idempotencyRetention", "requires_key"), (noKey.Field, noKey.Code));
    }

    [Fact]
    public async Task A_paused_tenant_takes_jobs_in_every_queue_starts_none_even_after_it_moves_and_lets_running_jobs_finish()
    {
        var gate = _tenant + "-running";
        var running = await Jobs.EnqueueAsync(_tenant, ClusterFixture.Slow, new ProbePayload(Gate: gate));
        await Probe.WaitForAsync(() => Probe.Starts(running).Count == 1, "the first job to start");

        var status = await Jobs.PauseTenantAsync(_tenant);
        Assert.Equal((_tenant, true), (status.Tenant, status.Paused));
        Assert.NotNull(status.PausedAt);

        // Once the pause has returned, nothing starts: not in the queue that was running, nor in one that was idle.
        var waiting = await Jobs.EnqueueManyAsync([.. new[] { ClusterFixture.Slow, ClusterFixture.Noop }.SelectMany(type => Enumerable.Range(0, 3).Select(_ => new JobRequest(_tenant, type, "{}"u8.ToArray())))]);
        Probe.Open(gate);
        await WaitForStateAsync(running, JobState.Succeeded);

        // Taken down and activated again, as a restart or a move does: the tenant reads its pause back and its queues hear it.
        await fixture.Cluster.Client.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
        Assert.True((await Jobs.GetTenantStatusAsync(_tenant)).Paused);
        foreach (var type in new[] { ClusterFixture.Slow, ClusterFixture.Noop })
        {
            await Probe.WaitForAsync(async () => (await Jobs.GetQueueStatsAsync(_tenant, type)) is { TenantPaused: true, Enqueued: 3, Active: 0 }, $"queue {type} to report its tenant paused with its 3 jobs waiting");
        }

        // Other tenants run as before.
        var other = await Jobs.EnqueueAsync(_tenant + "-other", ClusterFixture.Noop, new ProbePayload());
        await Probe.WaitForAsync(() => Probe.Successes(other) == 1, "another tenant's job to run");
        Assert.All(waiting, id => Assert.Empty(Probe.Starts(id)));

        Assert.False((await Jobs.ResumeTenantAsync(_tenant)).Paused);
        foreach (var id in waiting)
        {
            await WaitForStateAsync(id, JobState.Succeeded);
        }

        Assert.False((await Jobs.GetQueueStatsAsync(_tenant, ClusterFixture.Noop)).TenantPaused);
    }

    [Fact]
    public async Task An_outage_opens_the_breaker_and_lowers_the_limit_and_no_job_is_dead_lettered_for_it()
    {
        // Two attempts each: without the breaker, a job that failed twice in the outage would be dead.
        var breaker = new CircuitBreakerPolicy { FailureRatio = 0.5, MinimumAttempts = 4, SamplingWindow = TimeSpan.FromSeconds(30), BreakFor = TimeSpan.FromSeconds(2), Probes = 1 };
        var set = await Jobs.SetQueuePolicyAsync(_tenant, ClusterFixture.Flaky, new QueuePolicy
        {
            MaxConcurrency = 4,
            MaxAttempts = 2,
            AdaptiveConcurrency = new AdaptiveConcurrencyPolicy { Backoff = 0.5 },
            CircuitBreaker = breaker,
        });
        Assert.Equal(breaker, set.CircuitBreaker);
        var ids = await Jobs.EnqueueManyAsync([.. Enumerable.Range(0, 8).Select(_ => new JobRequest(_tenant, ClusterFixture.Flaky, JsonSerializer.SerializeToUtf8Bytes(new ProbePayload(Fail: true))))]);

        QueueStats stats = null!;
        await Probe.WaitForAsync(async () => (stats = await Jobs.GetQueueStatsAsync(_tenant, ClusterFixture.Flaky)).Breaker == BreakerState.Open, "the breaker to open");
        var startsWhenOpened = ids.Sum(id => Probe.Starts(id).Count);
        Assert.NotNull(stats.BreakerOpenUntil);
        Assert.InRange(stats.ConcurrencyLimit, 1, 2);

        // The downstream recovers while the breaker is open; the probe then succeeds and the rest follow.
        foreach (var id in ids)
        {
            Probe.Heal(id);
        }

        foreach (var id in ids)
        {
            await WaitForStateAsync(id, JobState.Succeeded);
        }

        // Nothing started while open: after the failures that opened it, only the probe and the rest after it.
        Assert.True(ids.Sum(id => Probe.Starts(id).Count) <= startsWhenOpened + ids.Count, "jobs ran again while the breaker was open");
        Assert.Equal(0, (await Jobs.GetQueueStatsAsync(_tenant, ClusterFixture.Flaky)).DeadLettered);
        Assert.Equal(BreakerState.Closed, (await Jobs.GetQueueStatsAsync(_tenant, ClusterFixture.Flaky)).Breaker);

        // A job that failed as the breaker opened was put back: it ran twice, yet its status counts one attempt.
        var held = ids.Where(id => Probe.Starts(id).Count == 2 && Probe.Starts(id)[1].Attempt == 1).ToArray();
        Assert.NotEmpty(held);

        // The policy, nested settings and all, outlives the activation.
        await fixture.Cluster.Client.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
        Assert.Equal(breaker, (await Jobs.GetQueuePolicyAsync(_tenant, ClusterFixture.Flaky)).CircuitBreaker);
    }

    [Fact]
    public async Task In_a_queue_with_partitions_a_throttled_key_waits_and_the_other_keys_run()
    {
        await Jobs.SetQueuePolicyAsync(_tenant, ClusterFixture.Noop, new QueuePolicy { MaxConcurrency = 4, Partitions = new PartitionPolicy { MaxConcurrency = 4 } });
        var throttled = await Jobs.EnqueueAsync(_tenant, ClusterFixture.Noop, new ProbePayload(ThrottleFirstMs: 3000), new EnqueueOptions { PartitionKey = "api.slow.example" });
        await WaitForStateAsync(throttled, JobState.Scheduled);

        var sameKey = await Jobs.EnqueueAsync(_tenant, ClusterFixture.Noop, new ProbePayload(), new EnqueueOptions { PartitionKey = "api.slow.example" });
        var otherKey = await Jobs.EnqueueAsync(_tenant, ClusterFixture.Noop, new ProbePayload(), new EnqueueOptions { PartitionKey = "api.fast.example" });
        await Probe.WaitForAsync(() => Probe.Successes(throttled) == 1 && Probe.Successes(sameKey) == 1 && Probe.Successes(otherKey) == 1, "every job to run");

        var throttledAt = Probe.Starts(throttled)[0].At;
        Assert.True(Probe.Starts(otherKey)[0].At < throttledAt.AddMilliseconds(3000), "the other key ran during the back-off");
        Assert.True(Probe.Starts(sameKey)[0].At >= throttledAt.AddMilliseconds(3000), "the throttled key waited out its back-off");
        Assert.Equal(1, (await Jobs.GetStatusAsync(_tenant, throttled))!.Attempt);
    }

    [Fact]
    public async Task Debounced_enqueues_make_one_job_that_runs_once_with_the_last_payload()
    {
        var options = new EnqueueOptions { IdempotencyKey = "digest", Dedup = DedupMode.Debounce, DedupWindow = TimeSpan.FromSeconds(1) };
        var first = await Jobs.EnqueueAsync(_tenant, ClusterFixture.Noop, new ProbePayload(), options);
        var second = await Jobs.EnqueueAsync(_tenant, ClusterFixture.Noop, new ProbePayload(), options);

        // The last payload fails for good: the job dead-letters only if that payload is the one that ran.
        var last = await Jobs.EnqueueAsync(_tenant, ClusterFixture.Noop, new ProbePayload(Fail: true, NonRetryable: true), options);

        Assert.Equal([first, first], new[] { second, last });
        await WaitForStateAsync(first, JobState.Dead);
        Assert.Single(Probe.Starts(first));
    }

    [Fact]
    public async Task A_low_priority_job_that_waited_past_its_aging_runs_before_newer_high_priority_ones()
    {
        await Jobs.SetQueuePolicyAsync(_tenant, ClusterFixture.Noop, new QueuePolicy { MaxConcurrency = 1, PriorityAging = TimeSpan.FromSeconds(1) });
        var gate = $"{_tenant}-aging";
        var blocker = await Jobs.EnqueueAsync(_tenant, ClusterFixture.Noop, new ProbePayload(Gate: gate));
        await Probe.WaitForAsync(() => Probe.Starts(blocker).Count == 1, "the blocker to take the only slot");
        var low = await Jobs.EnqueueAsync(_tenant, ClusterFixture.Noop, new ProbePayload(), new EnqueueOptions { Priority = JobPriority.Low });

        await Probe.WaitForAsync(async () => (await Jobs.GetStatusAsync(_tenant, low))?.Priority == JobPriority.High, "the low job to age to high");
        var high = new List<JobId>();
        for (var i = 0; i < 3; i++)
        {
            high.Add(await Jobs.EnqueueAsync(_tenant, ClusterFixture.Noop, new ProbePayload(), new EnqueueOptions { Priority = JobPriority.High }));
        }

        Probe.Open(gate);
        await Probe.WaitForAsync(() => high.Append(low).All(id => Probe.Successes(id) == 1), "every job to run");
        Assert.All(high, id => Assert.True(Probe.Starts(low)[0].At <= Probe.Starts(id)[0].At));
    }

    [Fact]
    public async Task A_key_with_a_deep_backlog_runs_within_its_limit_and_holds_back_no_other_key()
    {
        // More jobs of one key than the silo's window holds (512): the other key's job sits past the
        // window, and only the read past it finds it while the big key is at its limit.
        await Jobs.SetQueuePolicyAsync(_tenant, ClusterFixture.Noop, new QueuePolicy { MaxConcurrency = 8, Partitions = new PartitionPolicy { MaxConcurrency = 2 } });
        var gate = $"{_tenant}-big";
        var big = await Jobs.EnqueueManyAsync([.. Enumerable.Range(0, 600).Select(_ => new JobRequest(_tenant, ClusterFixture.Noop,
            JsonSerializer.SerializeToUtf8Bytes(new ProbePayload(Gate: gate)), new EnqueueOptions { PartitionKey = "customer-big" }))]);
        try
        {
            var small = await Jobs.EnqueueAsync(_tenant, ClusterFixture.Noop, new ProbePayload(), new EnqueueOptions { PartitionKey = "customer-small" });
            var keyless = await Jobs.EnqueueAsync(_tenant, ClusterFixture.Noop, new ProbePayload());

            // A big job leased before the others may reach its handler after them: wait for both.
            await Probe.WaitForAsync(
                () => Probe.Successes(small) == 1 && Probe.Successes(keyless) == 1 && big.Count(id => Probe.Starts(id).Count > 0) >= 2,
                "the other keys' jobs to run while the big key's wait");

            // The queue could run 8 at once; the big key gets its 2 and no more.
            Assert.Equal(2, big.Count(id => Probe.Starts(id).Count > 0));
        }
        finally
        {
            // Held handlers would keep the queue from ever deactivating, and fail the tests after this one.
            Probe.Open(gate);
        }

        await Probe.WaitForAsync(() => big.All(id => Probe.Successes(id) == 1), "every job of the big key to run", TimeSpan.FromSeconds(60));
        Assert.Equal(0, (await Jobs.GetQueueStatsAsync(_tenant, ClusterFixture.Noop)).Enqueued);
    }
}

[Collection(ClusterCollection.Name)]
public sealed class QueueControlTestsOnSqlite(SqliteClusterFixture fixture) : QueueControlTests(fixture);

[Collection(PostgresClusterCollection.Name)]
public sealed class QueueControlTestsOnPostgres(PostgresClusterFixture fixture) : QueueControlTests(fixture);
