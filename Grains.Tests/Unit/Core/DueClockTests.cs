using OrleansJobs.Queues.Core;

namespace OrleansJobs.Tests.Unit.Core;

public sealed class DueClockTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.Parse("2026-01-01T00:00:00Z");
    private readonly DueClock _clock = new(minInterval: TimeSpan.FromMilliseconds(100), retryDelay: TimeSpan.FromSeconds(1));

    [Fact]
    public void Idle_until_something_is_scheduled_then_armed_for_the_earliest()
    {
        Assert.Null(_clock.Start(null).At);
        Assert.Equal(DueState.Idle, _clock.State);

        Assert.Equal(T0.AddSeconds(5), _clock.Note(T0.AddSeconds(5))!.At);
        Assert.Null(_clock.Note(T0.AddSeconds(9)));
        Assert.Equal(T0.AddSeconds(2), _clock.Note(T0.AddSeconds(2))!.At);
        Assert.Equal(DueState.Armed, _clock.State);
    }

    [Fact]
    public void One_check_at_a_time()
    {
        _clock.Start(T0);
        Assert.NotNull(_clock.Check(T0, 10));
        Assert.Equal(DueState.Checking, _clock.State);
        Assert.Null(_clock.Check(T0, 10));
    }

    [Fact]
    public void A_job_scheduled_while_a_check_runs_is_kept_though_the_answer_lacks_it()
    {
        _clock.Start(T0);
        _clock.Check(T0, 10);
        _clock.Note(T0.AddSeconds(3));

        // The store answered from before the retry was written: nothing else is scheduled.
        var armed = _clock.Checked(next: null);

        Assert.Equal(T0.AddSeconds(3), armed.At);
        Assert.Equal(T0.AddSeconds(3), _clock.NextDue);
    }

    [Fact]
    public void Checks_are_at_least_the_minimum_interval_apart()
    {
        _clock.Start(T0);
        _clock.Check(T0, 10);

        var armed = _clock.Checked(next: T0.AddMilliseconds(10));

        Assert.Equal(T0.AddMilliseconds(100), armed.At);
    }

    [Fact]
    public void A_failed_check_tries_again_after_the_retry_delay_and_nothing_scheduled_disarms()
    {
        _clock.Start(T0);
        _clock.Check(T0, 10);
        Assert.Equal(T0.AddSeconds(1), _clock.CheckFailed(T0).At);

        _clock.Check(T0.AddSeconds(1), 10);
        Assert.Null(_clock.Checked(next: null).At);
        Assert.Equal(DueState.Idle, _clock.State);
    }
}
