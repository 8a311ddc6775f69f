using Microsoft.Extensions.Time.Testing;
using OrleansJobs.Policies;

namespace OrleansJobs.Tests.Unit;

public sealed class TokenBucketTests
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.Parse("2026-01-01T00:00:00Z"));

    [Fact]
    public void Starts_full_and_allows_exactly_the_burst_at_once()
    {
        var bucket = new TokenBucket(ratePerSecond: 10, burst: 5, _clock);
        Assert.Equal(5, bucket.TakeUpTo(100));
        Assert.Equal(0, bucket.TakeUpTo(1));
    }

    [Fact]
    public void Refills_at_the_rate_and_never_beyond_the_burst()
    {
        var bucket = new TokenBucket(ratePerSecond: 10, burst: 5, _clock);
        bucket.TakeUpTo(5);

        _clock.Advance(TimeSpan.FromMilliseconds(250));
        Assert.Equal(2, bucket.TakeUpTo(100));

        _clock.Advance(TimeSpan.FromSeconds(60));
        Assert.Equal(5, bucket.TakeUpTo(100));
    }

    [Fact]
    public void A_token_refilled_in_steps_that_add_up_to_it_is_there_and_none_is_ever_due_now_without_being_there()
    {
        // A third of a token three times: in floating point a hair short of one (the simulator's seed 63934).
        var bucket = new TokenBucket(ratePerSecond: 10.0 / 3, burst: 1, _clock);
        bucket.TakeUpTo(1);
        for (var i = 0; i < 3; i++)
        {
            Assert.NotEqual(TimeSpan.Zero, bucket.TimeUntilNextToken());
            _clock.Advance(TimeSpan.FromMilliseconds(100));
            bucket.Available();
        }

        Assert.Equal(1, bucket.Available());
        Assert.Equal(TimeSpan.Zero, bucket.TimeUntilNextToken());
        Assert.Equal(1, bucket.TakeUpTo(1));

        // Whatever the fraction held, a bucket says a wait of zero exactly when a whole token is there,
        // and after the wait it says, the token is there: a timer armed for it never finds nothing.
        var random = new Random(63934);
        foreach (var rate in new[] { 1000.0 / 999, 10.0 / 3, 0.7, 123.456 })
        {
            var odd = new TokenBucket(rate, burst: 2, _clock);
            for (var i = 0; i < 100_000; i++)
            {
                _clock.Advance(TimeSpan.FromTicks(random.Next(1, 20_000)));
                var wait = odd.TimeUntilNextToken();
                Assert.True((wait == TimeSpan.Zero) == (odd.Available() >= 1), $"rate {rate}, step {i}: wait {wait.Ticks} ticks, {odd.Available()} token(s)");
                if (wait > TimeSpan.Zero && random.Next(4) == 0)
                {
                    _clock.Advance(wait);
                    Assert.True(odd.Available() >= 1, $"rate {rate}, step {i}: no token after the wait it said");
                }

                if (random.Next(3) == 0)
                {
                    odd.TakeUpTo(1);
                }
            }
        }
    }

    [Fact]
    public void Fractions_of_a_token_carry_over()
    {
        var bucket = new TokenBucket(ratePerSecond: 4, burst: 1, _clock);
        bucket.TakeUpTo(1);
        _clock.Advance(TimeSpan.FromMilliseconds(150));
        Assert.Equal(0, bucket.TakeUpTo(1));
        _clock.Advance(TimeSpan.FromMilliseconds(100));
        Assert.Equal(1, bucket.TakeUpTo(1));
    }

    [Theory]
    [InlineData(5, 1, 10)]
    [InlineData(20, 5, 3)]
    [InlineData(0.5, 1, 60)]
    public void Over_a_long_run_it_allows_rate_times_duration_plus_the_burst(double rate, int burst, int seconds)
    {
        var bucket = new TokenBucket(rate, burst, _clock);
        var taken = bucket.TakeUpTo(int.MaxValue);
        for (var ms = 0; ms < seconds * 1000; ms += 10)
        {
            _clock.Advance(TimeSpan.FromMilliseconds(10));
            taken += bucket.TakeUpTo(int.MaxValue);
        }

        Assert.Equal((int)(rate * seconds) + burst, taken);
    }

    [Fact]
    public void Says_how_long_until_the_next_token()
    {
        var bucket = new TokenBucket(ratePerSecond: 2, burst: 1, _clock);
        Assert.Equal(TimeSpan.Zero, bucket.TimeUntilNextToken());
        bucket.TakeUpTo(1);
        Assert.Equal(TimeSpan.FromMilliseconds(500), bucket.TimeUntilNextToken());
        _clock.Advance(TimeSpan.FromMilliseconds(200));
        Assert.Equal(TimeSpan.FromMilliseconds(300), bucket.TimeUntilNextToken());
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(-1, 1)]
    [InlineData(1, 0)]
    [InlineData(double.NaN, 1)]
    public void Refuses_settings_that_would_never_refill_or_hold_a_token(double rate, int burst) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new TokenBucket(rate, burst, _clock));
}
