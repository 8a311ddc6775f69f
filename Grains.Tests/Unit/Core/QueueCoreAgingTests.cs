using OrleansJobs.Execution;
using OrleansJobs.Grains;
using OrleansJobs.Queues.Core;
using OrleansJobs.Storage;

namespace OrleansJobs.Tests.Unit.Core;

public sealed class QueueCoreAgingTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.Parse("2026-01-01T00:00:00Z");
    private static readonly QueueKey Queue = new("t", "job");
    private readonly JobIdGenerator _ids = new(TimeProvider.System);

    private NewJob Row(JobPriority priority) => new(_ids.Next(), Queue, [], priority, T0, T0, 3, TimeSpan.FromSeconds(10), null, null);

    /// <summary>One job takes the only slot; the rest wait in the window.</summary>
    private (QueueCore Core, NewJob[] Waiting) Busy(params JobPriority[] waiting)
    {
        var core = QueueCoreTests.NewCore(maxConcurrency: 1, aging: TimeSpan.FromSeconds(10));
        var rows = core.PlanStarts(T0, [Row(JobPriority.Normal), .. waiting.Select(Row)]);
        core.InsertCommitted(T0, rows, [.. rows.Select(r => new InsertOutcome(r.Id, true))]);
        core.TakeCommands();
        return (core, rows[1..]);
    }

    [Fact]
    public void Housekeeping_asks_to_age_only_once_a_waiting_job_below_high_is_old_enough()
    {
        var (core, _) = Busy(JobPriority.Low, JobPriority.High);

        core.Housekeep(T0.AddSeconds(5));
        Assert.Empty(core.TakeCommands().OfType<AgeWaiting>());

        core.Housekeep(T0.AddSeconds(11));
        var age = Assert.Single(core.TakeCommands().OfType<AgeWaiting>());
        Assert.Equal(T0.AddSeconds(1), age.WaitedSince);

        // One at a time: the next tick asks again only once the answer came.
        core.Housekeep(T0.AddSeconds(16));
        Assert.Empty(core.TakeCommands().OfType<AgeWaiting>());
        core.AgingFailed(T0.AddSeconds(16));
        core.Housekeep(T0.AddSeconds(21));
        Assert.Single(core.TakeCommands().OfType<AgeWaiting>());
    }

    [Fact]
    public void An_aged_job_takes_its_new_place_in_the_window_and_one_it_did_not_hold_sends_the_next_read_to_the_top()
    {
        var (core, waiting) = Busy(JobPriority.Low, JobPriority.Normal);
        var low = waiting[0];
        core.Housekeep(T0.AddSeconds(11));
        core.TakeCommands();

        var elsewhere = new ReadyJob(_ids.Next(), JobPriority.High, T0.AddSeconds(-1));
        core.JobsAged(T0.AddSeconds(11), [new ReadyJob(low.Id, JobPriority.High, low.RunAt), elsewhere]);

        Assert.Equal([low.Id, waiting[1].Id], core.Window.InRunOrder.Select(j => j.Id));
        Assert.Equal(JobPriority.High, core.Window.InRunOrder.First().Priority);
        var read = Assert.Single(core.TakeCommands().OfType<ReadPage>());
        Assert.Null(read.After);
    }
}
