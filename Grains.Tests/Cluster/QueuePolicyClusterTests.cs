using System.Collections.Concurrent;
using System.Text;
using Xunit.Abstractions;

namespace OrleansJobs.Tests.Cluster;

public abstract class QueuePolicyClusterTests(ClusterFixture fixture, ITestOutputHelper output)
{
    private readonly string _tenant = "p" + Guid.NewGuid().ToString("N")[..12];
    private JobProbe Probe => fixture.Probe;
    private IJobClient Jobs => fixture.Jobs;

    private static JobRequest[] Requests(string tenant, string type, int count, string json = "{}") =>
        Enumerable.Range(0, count).Select(_ => new JobRequest(tenant, type, Encoding.UTF8.GetBytes(json))).ToArray();

    [Fact]
    public async Task A_rate_limited_queue_starts_rate_times_duration_plus_its_burst()
    {
        // A burst of a few tokens lets the bucket bank a late timer's lateness. With a burst of 1 it
        // cannot: each start waits for the timer armed for the next token, so every late firing is
        // lost throughput (40 of 41 on an idle 2-core machine, 23 once under the full suite's load).
        const double rate = 20;
        const int burst = 5;
        var window = TimeSpan.FromSeconds(2);
        await Jobs.SetQueuePolicyAsync(_tenant, ClusterFixture.Noop, new QueuePolicy { RatePerSecond = rate, Burst = burst });

        var ids = await Jobs.EnqueueManyAsync(Requests(_tenant, ClusterFixture.Noop, 60));
        await Probe.WaitForAsync(() => ids.All(id => Probe.Successes(id) == 1), "all 60 jobs to run", TimeSpan.FromSeconds(30));

        var starts = ids.Select(id => Probe.Starts(id)[0].At).Order().ToList();
        var inWindow = starts.Count(at => at < starts[0] + window);
        var expected = (int)(rate * window.TotalSeconds) + burst;
        output.WriteLine($"Rate {rate}/s, burst {burst}: {inWindow} of 60 jobs started in the first {window.TotalSeconds} s (expected {expected}, at most +1, at least 60 %); all 60 took {(starts[^1] - starts[0]).TotalSeconds:F2} s.");

        // Never faster than the rate (one start of slack for where the window edge falls); slower only
        // by what a stall of the machine longer than the burst's worth (250 ms) costs.
        Assert.InRange(inWindow, (int)(expected * 0.6), expected + 1);
    }

    [Fact]
    public async Task A_policy_set_at_run_time_applies_at_once_is_stored_and_can_be_reset()
    {
        var defaults = await Jobs.GetQueuePolicyAsync(_tenant, ClusterFixture.Slow);
        Assert.Equal(ClusterFixture.SlowConcurrency, defaults.MaxConcurrency);
        Assert.Null(defaults.RatePerSecond);

        var effective = await Jobs.SetQueuePolicyAsync(_tenant, ClusterFixture.Slow, new QueuePolicy { MaxConcurrency = 2, MaxAttempts = 9 });
        Assert.Equal((2, 9, ClusterFixture.SlowConcurrency), (effective.MaxConcurrency!.Value, effective.MaxAttempts!.Value, defaults.MaxConcurrency!.Value));
        Assert.Equal(new QueuePolicy { MaxConcurrency = 2, MaxAttempts = 9 }, (await fixture.Store.GetQueueSettingsAsync(new QueueKey(_tenant, ClusterFixture.Slow), default)).Override);

        var ids = await Jobs.EnqueueManyAsync(Requests(_tenant, ClusterFixture.Slow, 12, "{\"delayMs\":40}"));
        await Probe.WaitForAsync(() => ids.All(id => Probe.Successes(id) == 1), "all slow jobs to finish");
        Assert.Equal(2, Probe.MaxInFlight($"{_tenant}/{ClusterFixture.Slow}"));
        Assert.Equal(9, (await Jobs.GetStatusAsync(_tenant, ids[0]))!.MaxAttempts);

        Assert.Equal(defaults, await Jobs.SetQueuePolicyAsync(_tenant, ClusterFixture.Slow, new QueuePolicy()));
    }

    [Fact]
    public async Task Bad_policies_and_unknown_types_are_refused()
    {
        var bad = await Assert.ThrowsAsync<JobValidationException>(() => Jobs.SetQueuePolicyAsync(_tenant, ClusterFixture.Noop, new QueuePolicy { RatePerSecond = -5 }));
        Assert.Equal("policy.ratePerSecond", bad.Field);
        await Assert.ThrowsAsync<UnknownJobTypeException>(() => Jobs.SetQueuePolicyAsync(_tenant, "no.such-type", new QueuePolicy { MaxConcurrency = 1 }));
        Assert.Null((await fixture.Store.GetQueueSettingsAsync(new QueueKey(_tenant, ClusterFixture.Noop), default)).Override);
    }

    [Fact]
    public async Task Past_its_max_backlog_a_queue_refuses_with_a_retry_hint_and_loses_nothing_it_accepted()
    {
        const int maxBacklog = 50;
        await Jobs.SetQueuePolicyAsync(_tenant, ClusterFixture.Slow, new QueuePolicy { MaxBacklog = maxBacklog, MaxConcurrency = 2 });
        var queue = new QueueKey(_tenant, ClusterFixture.Slow);

        // A bulk enqueue that does not fit is refused whole.
        var whole = await Assert.ThrowsAsync<QueueFullException>(() => Jobs.EnqueueManyAsync(Requests(_tenant, ClusterFixture.Slow, maxBacklog + 1)));
        Assert.Equal((queue.ToString(), maxBacklog), (whole.Queue, (int)whole.MaxBacklog));
        Assert.Equal(0, await fixture.Store.CountWaitingAsync(queue, default));

        // A producer pushes 10× the limit, one job at a time, 8 at once.
        var accepted = new ConcurrentBag<JobId>();
        var refused = new ConcurrentBag<QueueFullException>();
        var peakWaiting = 0L;
        await Parallel.ForEachAsync(Enumerable.Range(0, maxBacklog * 10), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (_, _) =>
        {
            try
            {
                accepted.Add(await Jobs.EnqueueAsync(_tenant, ClusterFixture.Slow, new ProbePayload(DelayMs: 20)));
            }
            catch (QueueFullException full)
            {
                refused.Add(full);
            }
        });
        peakWaiting = await fixture.Store.CountWaitingAsync(queue, default);

        await Probe.WaitForAsync(() => accepted.All(id => Probe.Successes(id) == 1), "every accepted job to run", TimeSpan.FromSeconds(60));
        output.WriteLine($"Max backlog {maxBacklog}: {accepted.Count} of {maxBacklog * 10} enqueues accepted, {refused.Count} refused (retry-after {refused.Min(r => r.RetryAfter).TotalSeconds}–{refused.Max(r => r.RetryAfter).TotalSeconds} s); waiting after the push: {peakWaiting}; every accepted job ran.");
        Assert.NotEmpty(refused);
        Assert.Equal(maxBacklog * 10, accepted.Count + refused.Count);
        Assert.All(refused, r => Assert.InRange(r.RetryAfter, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1)));
        Assert.InRange(peakWaiting, 0, maxBacklog);
        Assert.Equal(0, await fixture.Store.CountWaitingAsync(queue, default));
    }

    [Fact]
    public async Task A_full_queue_that_sheds_makes_room_for_higher_priority_work_and_says_so()
    {
        await Jobs.SetQueuePolicyAsync(_tenant, ClusterFixture.Slow, new QueuePolicy { MaxBacklog = 10, MaxConcurrency = 1, Overflow = OverflowPolicy.ShedLowestPriority });
        var blocker = await Jobs.EnqueueAsync(_tenant, ClusterFixture.Slow, new ProbePayload(DelayMs: 1_500));
        await Probe.WaitForAsync(() => Probe.Starts(blocker).Count == 1, "the blocker to start");
        var low = await Jobs.EnqueueManyAsync(Requests(_tenant, ClusterFixture.Slow, 10).Select(r => r with { Options = new EnqueueOptions { Priority = JobPriority.Low } }).ToList());

        var urgent = await Jobs.EnqueueManyAsync(Requests(_tenant, ClusterFixture.Slow, 3).Select(r => r with { Options = new EnqueueOptions { Priority = JobPriority.High } }).ToList());
        await Assert.ThrowsAsync<QueueFullException>(() => Jobs.EnqueueAsync(_tenant, ClusterFixture.Slow, new ProbePayload(), new EnqueueOptions { Priority = JobPriority.Low }));

        var states = new Dictionary<JobId, JobInfo>();
        foreach (var id in low)
        {
            states[id] = (await Jobs.GetStatusAsync(_tenant, id))!;
        }

        var shed = low.Where(id => states[id].State == JobState.Cancelled).ToList();
        Assert.Equal(3, shed.Count);
        Assert.Equal(low.TakeLast(3).Order(), shed.Order());
        Assert.All(shed, id => Assert.StartsWith("Shed: queue full", states[id].LastError));

        var kept = low.Except(shed).Concat(urgent).Append(blocker).ToList();
        await Probe.WaitForAsync(() => kept.All(id => Probe.Successes(id) == 1), "every job that was not shed to run", TimeSpan.FromSeconds(30));
        Assert.All(shed, id => Assert.Empty(Probe.Starts(id)));
        Assert.All(urgent, id => Assert.True(Probe.Starts(id)[0].At <= low.Except(shed).Min(l => Probe.Starts(l)[0].At)));
    }
}

[Collection(ClusterCollection.Name)]
public sealed class QueuePolicyClusterTestsOnSqlite(SqliteClusterFixture fixture, ITestOutputHelper output) : QueuePolicyClusterTests(fixture, output);

[Collection(PostgresClusterCollection.Name)]
public sealed class QueuePolicyClusterTestsOnPostgres(PostgresClusterFixture fixture, ITestOutputHelper output) : QueuePolicyClusterTests(fixture, output);
