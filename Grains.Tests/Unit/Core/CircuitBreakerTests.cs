using OrleansJobs.Queues.Core;
using OrleansJobs.Storage;

namespace OrleansJobs.Tests.Unit.Core;

public sealed class CircuitBreakerTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.Parse("2026-01-01T00:00:00Z");
    private readonly JobIdGenerator _ids = new(TimeProvider.System);

    private static CircuitBreaker NewBreaker(int probes = 2) => new(new CircuitBreakerPolicy
    {
        FailureRatio = 0.5,
        MinimumAttempts = 4,
        SamplingWindow = TimeSpan.FromSeconds(10),
        BreakFor = TimeSpan.FromSeconds(5),
        Probes = probes,
    });

    private BreakerChange? End(CircuitBreaker breaker, DateTimeOffset at, BreakerVerdict verdict) =>
        breaker.Ended(at, _ids.Next(), verdict, out _);

    private static BreakerChange Opened(CircuitBreaker breaker, Func<CircuitBreaker, BreakerChange?> failOnce)
    {
        BreakerChange? change = null;
        for (var i = 0; i < 4 && change is null; i++)
        {
            change = failOnce(breaker);
        }

        return change!;
    }

    /// <summary>Opens the breaker at T0 and, once its break is over, begins one probe.</summary>
    private JobId ProbeBegun(CircuitBreaker breaker)
    {
        Opened(breaker, b => End(b, T0, BreakerVerdict.Failed));
        breaker.Admit(T0.AddSeconds(5), 1, out _);
        var probe = _ids.Next();
        breaker.Began(probe);
        return probe;
    }

    [Fact]
    public void It_opens_when_the_failure_ratio_reaches_the_threshold_with_enough_attempts_seen()
    {
        var breaker = NewBreaker();
        Assert.Null(End(breaker, T0, BreakerVerdict.Failed));
        Assert.Null(End(breaker, T0, BreakerVerdict.Failed));
        Assert.Null(End(breaker, T0, BreakerVerdict.Succeeded));

        // Four attempts, two failed: 50 %.
        var change = End(breaker, T0, BreakerVerdict.Succeeded);
        Assert.Equal(new BreakerChange(BreakerState.Open, T0.AddSeconds(5), 4, 2), change);
        Assert.Equal(0, breaker.Admit(T0.AddSeconds(4.9), 10, out var none));
        Assert.Null(none);
    }

    [Fact]
    public void Failures_older_than_the_window_drop_out_and_ignored_endings_do_not_count()
    {
        var breaker = NewBreaker();
        End(breaker, T0, BreakerVerdict.Failed);
        End(breaker, T0, BreakerVerdict.Failed);
        End(breaker, T0, BreakerVerdict.Failed);
        for (var i = 0; i < 10; i++)
        {
            Assert.Null(End(breaker, T0.AddSeconds(1), BreakerVerdict.Ignored));
        }

        Assert.Null(End(breaker, T0.AddSeconds(11), BreakerVerdict.Failed));
        Assert.Null(End(breaker, T0.AddSeconds(11), BreakerVerdict.Succeeded));
        Assert.Null(End(breaker, T0.AddSeconds(11), BreakerVerdict.Succeeded));
        Assert.Equal(BreakerState.Closed, breaker.State);
    }

    [Fact]
    public void After_the_break_it_lets_its_probes_through_and_closes_when_they_all_succeed()
    {
        var breaker = NewBreaker(probes: 2);
        Opened(breaker, b => End(b, T0, BreakerVerdict.Failed));

        Assert.Equal(2, breaker.Admit(T0.AddSeconds(5), 10, out var halfOpen));
        Assert.Equal(BreakerState.HalfOpen, halfOpen!.State);
        JobId first = _ids.Next(), second = _ids.Next();
        breaker.Began(first);
        Assert.Equal(1, breaker.Admit(T0.AddSeconds(5), 10, out _));
        breaker.Began(second);
        Assert.Equal(0, breaker.Admit(T0.AddSeconds(5), 10, out _));

        // An attempt begun before the break says nothing about the downstream now.
        Assert.Null(End(breaker, T0.AddSeconds(6), BreakerVerdict.Succeeded));
        Assert.Null(breaker.Ended(T0.AddSeconds(6), first, BreakerVerdict.Succeeded, out var wasProbe));
        Assert.True(wasProbe);
        Assert.Equal(BreakerState.Closed, breaker.Ended(T0.AddSeconds(6), second, BreakerVerdict.Succeeded, out _)!.State);
        Assert.Equal(10, breaker.Admit(T0.AddSeconds(6), 10, out _));

        // Closing forgets the failures that opened it.
        Assert.Null(End(breaker, T0.AddSeconds(6), BreakerVerdict.Failed));
    }

    [Fact]
    public void A_failed_probe_opens_it_again_for_another_break()
    {
        var breaker = NewBreaker(probes: 2);
        var probe = ProbeBegun(breaker);

        var change = breaker.Ended(T0.AddSeconds(7), probe, BreakerVerdict.Failed, out var wasProbe);
        Assert.True(wasProbe);
        Assert.Equal((BreakerState.Open, (DateTimeOffset?)T0.AddSeconds(12)), (change!.State, change.OpenUntil));
    }

    [Fact]
    public void A_probe_that_never_ran_frees_its_place()
    {
        var breaker = NewBreaker(probes: 1);
        var probe = ProbeBegun(breaker);
        Assert.Equal(0, breaker.Admit(T0.AddSeconds(5), 1, out _));

        breaker.Forget(probe);
        Assert.Equal(1, breaker.Admit(T0.AddSeconds(5), 1, out _));
    }
}
