using Microsoft.Extensions.Time.Testing;
using OrleansJobs.Handlers;
using OrleansJobs.Policies;

namespace OrleansJobs.Tests.Unit;

public sealed class QueuePolicyTests
{
    private static JobTypeRegistration Type(QueuePolicy defaults) => new()
    {
        JobType = "email.send",
        Invoke = (_, _, _, _) => Task.CompletedTask,
        Defaults = defaults,
        Retry = new RetryPolicy(),
        NonRetryable = [],
    };

    private static readonly QueuePolicy TypeDefaults = new() { MaxConcurrency = 16, MaxAttempts = 5, Timeout = TimeSpan.FromMinutes(5) };

    [Fact]
    public void Without_an_override_the_type_defaults_apply_and_nothing_is_limited()
    {
        var policy = EffectiveQueuePolicy.Resolve(Type(TypeDefaults), null);
        Assert.Equal(new QueuePolicy { MaxConcurrency = 16, MaxAttempts = 5, Timeout = TimeSpan.FromMinutes(5), Overflow = OverflowPolicy.Reject }, policy.ToQueuePolicy());
        Assert.Null(policy.CreateBucket(TimeProvider.System));
    }

    [Fact]
    public void An_override_wins_field_by_field()
    {
        var policy = EffectiveQueuePolicy.Resolve(Type(TypeDefaults with { RatePerSecond = 100, MaxBacklog = 1_000 }), new QueuePolicy { MaxConcurrency = 2, RatePerSecond = 2.5, Overflow = OverflowPolicy.ShedLowestPriority });
        Assert.Equal(new QueuePolicy { MaxConcurrency = 2, RatePerSecond = 2.5, Burst = 3, MaxBacklog = 1_000, MaxAttempts = 5, Timeout = TimeSpan.FromMinutes(5), Overflow = OverflowPolicy.ShedLowestPriority }, policy.ToQueuePolicy());
        var bucket = policy.CreateBucket(new FakeTimeProvider());
        Assert.Equal((2.5, 3), (bucket!.RatePerSecond, bucket.Burst));
    }

    public static TheoryData<QueuePolicy, string> BadPolicies => new()
    {
        { new QueuePolicy { MaxConcurrency = 0 }, "policy.maxConcurrency" },
        { new QueuePolicy { MaxConcurrency = 10_001 }, "policy.maxConcurrency" },
        { new QueuePolicy { RatePerSecond = 0 }, "policy.ratePerSecond" },
        { new QueuePolicy { RatePerSecond = double.NaN }, "policy.ratePerSecond" },
        { new QueuePolicy { Burst = 0 }, "policy.burst" },
        { new QueuePolicy { MaxBacklog = -1 }, "policy.maxBacklog" },
        { new QueuePolicy { MaxAttempts = 101 }, "policy.maxAttempts" },
        { new QueuePolicy { Overflow = (OverflowPolicy)7 }, "policy.overflow" },
        { new QueuePolicy { Timeout = TimeSpan.Zero }, "policy.timeout" },
        { new QueuePolicy { AdaptiveConcurrency = new() { MinConcurrency = 0 } }, "policy.adaptiveConcurrency.minConcurrency" },
        { new QueuePolicy { AdaptiveConcurrency = new() { LatencyTolerance = double.NaN } }, "policy.adaptiveConcurrency.latencyTolerance" },
        { new QueuePolicy { AdaptiveConcurrency = new() { Backoff = 1 } }, "policy.adaptiveConcurrency.backoff" },
        { new QueuePolicy { CircuitBreaker = new() { FailureRatio = 0 } }, "policy.circuitBreaker.failureRatio" },
        { new QueuePolicy { CircuitBreaker = new() { FailureRatio = 1.5 } }, "policy.circuitBreaker.failureRatio" },
        { new QueuePolicy { CircuitBreaker = new() { MinimumAttempts = 0 } }, "policy.circuitBreaker.minimumAttempts" },
        { new QueuePolicy { CircuitBreaker = new() { SamplingWindow = TimeSpan.FromMilliseconds(10) } }, "policy.circuitBreaker.samplingWindow" },
        { new QueuePolicy { CircuitBreaker = new() { BreakFor = TimeSpan.FromHours(2) } }, "policy.circuitBreaker.breakFor" },
        { new QueuePolicy { CircuitBreaker = new() { Probes = 101 } }, "policy.circuitBreaker.probes" },
        { new QueuePolicy { Partitions = new() { MaxConcurrency = 0 } }, "policy.partitions.maxConcurrency" },
        { new QueuePolicy { PriorityAging = TimeSpan.FromMilliseconds(500) }, "policy.priorityAging" },
        { new QueuePolicy { PriorityAging = TimeSpan.FromDays(8) }, "policy.priorityAging" },
        { new QueuePolicy { Partitions = new() { RatePerSecond = 0 } }, "policy.partitions.ratePerSecond" },
        { new QueuePolicy { Partitions = new() { RatePerSecond = 5, Burst = 0 } }, "policy.partitions.burst" },
    };

    [Fact]
    public void Protection_set_on_the_job_type_applies_until_a_queue_turns_it_off()
    {
        var type = Type(TypeDefaults with { AdaptiveConcurrency = new() { MinConcurrency = 2 }, CircuitBreaker = new() });
        var inherited = EffectiveQueuePolicy.Resolve(type, null);
        Assert.Equal((2, 0.5), (inherited.Adaptive!.MinConcurrency, inherited.Breaker!.FailureRatio));

        var off = EffectiveQueuePolicy.Resolve(type, new QueuePolicy { CircuitBreaker = new() { Enabled = false } });
        Assert.Null(off.Breaker);
        Assert.Null(off.ToQueuePolicy().CircuitBreaker);
        Assert.NotNull(off.Adaptive);
    }

    [Theory]
    [MemberData(nameof(BadPolicies))]
    public void Out_of_range_policies_are_refused_naming_the_field(QueuePolicy policy, string field) =>
        Assert.Equal(field, Assert.Throws<JobValidationException>(() => JobValidator.ValidatePolicy(policy)).Field);

    [Fact]
    public void The_throughput_meter_averages_the_last_ten_seconds()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z"));
        var meter = new ThroughputMeter(clock);
        for (var second = 0; second < 20; second++)
        {
            if (second > 0)
            {
                clock.Advance(TimeSpan.FromSeconds(1));
            }

            meter.Record(second < 10 ? 100 : 30);
        }

        // The window is the current second and the nine before it: seconds 10-19, 30 each.
        Assert.Equal(30, meter.PerSecond());
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(0, meter.PerSecond());
    }
}
