using OrleansJobs.Queues.Core;

namespace OrleansJobs.Tests.Unit.Core;

public sealed class ConcurrencyLimiterTests
{
    private static readonly TimeSpan Usual = TimeSpan.FromMilliseconds(20);

    private static ConcurrencyLimiter Warmed(int max = 64, AdaptiveConcurrencyPolicy? policy = null)
    {
        var limiter = new ConcurrencyLimiter(policy ?? new AdaptiveConcurrencyPolicy(), max);
        for (var i = 0; i < 50; i++)
        {
            limiter.Ended(Usual, failed: false, inFlight: max);
        }

        return limiter;
    }

    [Fact]
    public void It_starts_at_the_ceiling_and_stays_there_while_attempts_succeed_at_their_usual_pace()
    {
        var limiter = Warmed();
        Assert.Equal(64, limiter.Limit);
        Assert.Equal(Usual.TotalMilliseconds, limiter.Usual!.Value.TotalMilliseconds, 1);
    }

    [Fact]
    public void Failures_cut_the_limit_multiplicatively_down_to_the_floor_and_no_further()
    {
        var limiter = Warmed(policy: new AdaptiveConcurrencyPolicy { MinConcurrency = 4, Backoff = 0.5 });
        Assert.True(limiter.Ended(Usual, failed: true, inFlight: 64));
        Assert.Equal(32, limiter.Limit);
        for (var i = 0; i < 20; i++)
        {
            limiter.Ended(Usual, failed: true, inFlight: 64);
        }

        Assert.Equal(4, limiter.Limit);
    }

    [Fact]
    public void A_run_of_slow_attempts_cuts_the_limit_while_one_slow_attempt_does_not()
    {
        var limiter = Warmed();
        limiter.Ended(Usual * 5, failed: false, inFlight: 64);
        Assert.Equal(64, limiter.Limit);

        // Ten times slower, as a struggling downstream answers: within a few attempts the limit falls.
        for (var i = 0; i < 10; i++)
        {
            limiter.Ended(Usual * 10, failed: false, inFlight: 64);
        }

        Assert.InRange(limiter.Limit, 1, 40);
    }

    [Fact]
    public void It_climbs_back_one_per_success_once_attempts_are_fast_again_but_only_while_the_queue_uses_its_limit()
    {
        var limiter = Warmed(policy: new AdaptiveConcurrencyPolicy { Backoff = 0.5 });
        for (var i = 0; i < 10; i++)
        {
            limiter.Ended(Usual, failed: true, inFlight: 64);
        }

        Assert.Equal(1, limiter.Limit);

        // Idle: one attempt in flight under a limit of 10 says nothing about whether 20 would do.
        for (var i = 0; i < 9; i++)
        {
            limiter.Ended(Usual, failed: false, inFlight: limiter.Limit);
        }

        Assert.Equal(10, limiter.Limit);
        limiter.Ended(Usual, failed: false, inFlight: 1);
        Assert.Equal(10, limiter.Limit);

        for (var i = 0; i < 100; i++)
        {
            limiter.Ended(Usual, failed: false, inFlight: limiter.Limit);
        }

        Assert.Equal(64, limiter.Limit);
    }

    [Fact]
    public void Before_it_knows_the_usual_duration_only_failures_move_it()
    {
        var limiter = new ConcurrencyLimiter(new AdaptiveConcurrencyPolicy(), 16);
        limiter.Ended(TimeSpan.FromMilliseconds(1), failed: false, inFlight: 16);
        limiter.Ended(TimeSpan.FromSeconds(10), failed: false, inFlight: 16);
        Assert.Equal(16, limiter.Limit);
        Assert.Null(limiter.Usual);
    }

    [Fact]
    public void A_new_ceiling_keeps_the_limit_under_it_and_the_floor_never_exceeds_it()
    {
        var limiter = Warmed(policy: new AdaptiveConcurrencyPolicy { MinConcurrency = 8 });
        limiter.Resize(4);
        Assert.Equal((4, 4), (limiter.Min, limiter.Limit));
        limiter.Ended(Usual, failed: true, inFlight: 4);
        Assert.Equal(4, limiter.Limit);
    }
}
