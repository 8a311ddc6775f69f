using OrleansJobs.Policies;

namespace OrleansJobs.Tests.Unit;

public sealed class RetryPolicyTests
{
    private static readonly RetryPolicy Policy = new() { BaseDelay = TimeSpan.FromSeconds(1), MaxDelay = TimeSpan.FromMinutes(1), Factor = 2 };

    [Theory]
    [InlineData(1, 1_000)]
    [InlineData(2, 2_000)]
    [InlineData(3, 4_000)]
    [InlineData(6, 32_000)]
    [InlineData(7, 60_000)]
    [InlineData(1_000, 60_000)]
    public void Nominal_delay_grows_exponentially_and_is_capped(int attempt, int expectedMs) =>
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), Policy.NominalDelay(attempt));

    [Fact]
    public void Every_delay_lies_between_half_and_all_of_the_nominal_delay()
    {
        var random = new Random(42);
        for (var attempt = 1; attempt <= 12; attempt++)
        {
            var nominal = Policy.NominalDelay(attempt);
            for (var i = 0; i < 1_000; i++)
            {
                var delay = Policy.NextDelay(attempt, random);
                Assert.InRange(delay, nominal / 2, nominal);
            }
        }
    }

    [Fact]
    public void Jitter_spreads_delays_across_the_range()
    {
        var random = new Random(7);
        var delays = Enumerable.Range(0, 1_000).Select(_ => Policy.NextDelay(3, random).TotalMilliseconds).ToArray();
        // Nominal 4 s: delays fill [2 s, 4 s], so both halves of the range are used.
        Assert.Contains(delays, d => d < 2_500);
        Assert.Contains(delays, d => d > 3_500);
        Assert.True(delays.Distinct().Count() > 900, "jitter should rarely repeat a value");
    }

    [Fact]
    public void The_same_seed_gives_the_same_delays()
    {
        var a = new Random(123);
        var b = new Random(123);
        Assert.Equal(
            Enumerable.Range(1, 8).Select(n => Policy.NextDelay(n, a)),
            Enumerable.Range(1, 8).Select(n => Policy.NextDelay(n, b)));
    }

    [Fact]
    public void With_factor_two_no_retry_waits_less_than_the_one_before_it_until_the_cap()
    {
        var random = new Random(99);
        for (var run = 0; run < 200; run++)
        {
            var previous = TimeSpan.Zero;
            for (var attempt = 1; attempt <= 6; attempt++)
            {
                var delay = Policy.NextDelay(attempt, random);
                Assert.True(delay >= previous, $"attempt {attempt}: {delay} < {previous}");
                previous = delay;
            }
        }
    }

    [Fact]
    public void Retries_until_attempts_run_out_then_dead_letters()
    {
        var now = DateTimeOffset.Parse("2026-01-01T00:00:00Z");
        var random = new Random(1);
        var retry = RetryDecision.For(attempt: 2, maxAttempts: 3, retryable: true, Policy, now, random);
        Assert.False(retry.DeadLetter);
        Assert.InRange(retry.RetryAt, now + TimeSpan.FromSeconds(1), now + TimeSpan.FromSeconds(2));

        Assert.True(RetryDecision.For(attempt: 3, maxAttempts: 3, retryable: true, Policy, now, random).DeadLetter);
        Assert.True(RetryDecision.For(attempt: 1, maxAttempts: 3, retryable: false, Policy, now, random).DeadLetter);
    }

    [Theory]
    [InlineData(0, 1_000, 2)]
    [InlineData(1_000, 500, 2)]
    [InlineData(1_000, 2_000, 0.5)]
    public void Invalid_settings_are_refused(int baseMs, int maxMs, double factor) =>
        Assert.Throws<ArgumentException>(() => new RetryPolicy { BaseDelay = TimeSpan.FromMilliseconds(baseMs), MaxDelay = TimeSpan.FromMilliseconds(maxMs), Factor = factor }.Validate());
}
