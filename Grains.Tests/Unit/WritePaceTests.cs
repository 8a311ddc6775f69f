using OrleansJobs.Storage;

namespace OrleansJobs.Tests.Unit;

public sealed class WritePaceTests
{
    private static TimeSpan Ms(double ms) => TimeSpan.FromMilliseconds(ms);

    [Fact]
    public void A_queues_first_write_is_quiet() => Assert.True(WritePace.Fresh.IsQuiet);

    [Fact]
    public void A_trickle_whose_outcome_follows_its_insert_within_milliseconds_stays_quiet()
    {
        // 20 jobs a second, each started at insert: the outcome 3 ms after the insert, the next insert 47 ms later.
        var pace = WritePace.Fresh;
        for (var job = 0; job < 1_000; job++)
        {
            pace.Arrived(Ms(47));
            Assert.True(pace.IsQuiet);
            pace.Arrived(Ms(3));
            Assert.True(pace.IsQuiet);
        }
    }

    [Fact]
    public void A_queue_writing_every_millisecond_turns_busy_within_a_few_writes_and_stays_busy()
    {
        var pace = WritePace.Fresh;
        var quietWrites = 0;
        for (var write = 0; write < 1_000; write++)
        {
            pace.Arrived(Ms(1));
            if (pace.IsQuiet)
            {
                Assert.Equal(write, quietWrites);
                quietWrites++;
            }
        }

        Assert.InRange(quietWrites, 1, 8);
    }

    [Fact]
    public void A_busy_queue_is_quiet_again_after_one_long_pause()
    {
        var pace = WritePace.Fresh;
        for (var write = 0; write < 100; write++)
        {
            pace.Arrived(Ms(0.5));
        }

        Assert.False(pace.IsQuiet);
        pace.Arrived(Ms(5));
        Assert.False(pace.IsQuiet);
        pace.Arrived(WritePace.Settled);
        Assert.True(pace.IsQuiet);
    }

    [Fact]
    public void A_queue_writing_a_hundred_times_a_second_or_more_is_busy()
    {
        var pace = WritePace.Fresh;
        for (var write = 0; write < 100; write++)
        {
            pace.Arrived(Ms(9));
        }

        Assert.False(pace.IsQuiet);
    }
}
