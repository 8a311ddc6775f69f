using OrleansJobs.Execution;

namespace OrleansJobs.Tests.Unit;

public sealed class RemoteOutcomeTests
{
    private static readonly RemoteRun Run = new(
        JobId.MinAt(DateTimeOffset.Parse("2026-01-01T00:00:00Z")), "t", "job", 3, 1, 5, TimeSpan.FromSeconds(30), DateTimeOffset.Parse("2026-01-01T00:00:00Z"), [], null, null!);

    private static Exception? AcrossSilos(Exception error)
    {
        var startedAt = DateTimeOffset.Parse("2026-01-01T00:00:01Z");
        var back = RemoteOutcome.From(Run, new JobRunResult(error, TimeSpan.FromMilliseconds(5), StartedAt: startedAt), null, SiloAddress.New(System.Net.IPAddress.Loopback, 11111, 1), freeSlots: 2).ToResult();
        Assert.Equal(startedAt, back.StartedAt);
        return back.Error;
    }

    [Fact]
    public void A_snooze_on_another_silo_comes_back_as_a_snooze_of_the_same_length()
    {
        var back = Assert.IsType<SnoozeJobException>(AcrossSilos(new SnoozeJobException(TimeSpan.FromMinutes(3))));
        Assert.Equal(TimeSpan.FromMinutes(3), back.Delay);
    }

    [Fact]
    public void A_throttle_on_another_silo_comes_back_with_its_retry_after_and_message()
    {
        var back = Assert.IsType<DownstreamThrottledException>(AcrossSilos(new DownstreamThrottledException(TimeSpan.FromSeconds(42), "429 from api.example.com")));
        Assert.Equal((TimeSpan.FromSeconds(42), "429 from api.example.com"), (back.RetryAfter, back.Message));
    }

    [Fact]
    public void Reschedule_signals_refuse_a_negative_or_endless_wait()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SnoozeJobException(TimeSpan.FromSeconds(-1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DownstreamThrottledException(TimeSpan.FromDays(400)));
    }
}
