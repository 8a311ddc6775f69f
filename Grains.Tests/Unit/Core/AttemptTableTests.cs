using OrleansJobs.Queues.Core;

namespace OrleansJobs.Tests.Unit.Core;

public sealed class AttemptTableTests
{
    private readonly JobIdGenerator _ids = new(TimeProvider.System);

    [Fact]
    public void Leasing_inserting_and_running_take_the_budget_and_recording_only_holds_the_job()
    {
        var table = new AttemptTable();
        var (a, b) = (_ids.Next(), _ids.Next());
        table.Begin(a, AttemptPhase.Leasing);
        table.Begin(b, AttemptPhase.Inserting);
        Assert.Equal((2, 1, 2), (table.InBudget, table.Leasing, table.Count));

        table.Run(a);
        table.Run(b);
        table.Record(a);
        Assert.Equal((1, 0, 2), (table.InBudget, table.Leasing, table.Count));
        Assert.Equal([a, b], table.HeldIds().Order());

        Assert.True(table.End(a));
        Assert.True(table.End(b));
        Assert.False(table.End(b));
        Assert.Equal((0, 0, 0), (table.InBudget, table.Leasing, table.Count));
    }

    [Fact]
    public void An_attempt_only_moves_forward()
    {
        var table = new AttemptTable();
        var id = _ids.Next();
        Assert.Throws<ArgumentOutOfRangeException>(() => table.Begin(id, AttemptPhase.Running));
        table.Begin(id, AttemptPhase.Leasing);
        Assert.Throws<InvalidOperationException>(() => table.Record(id));
        table.Run(id);
        Assert.Throws<InvalidOperationException>(() => table.Run(id));
        table.Record(id);
        Assert.Throws<InvalidOperationException>(() => table.Record(id));
    }
}
