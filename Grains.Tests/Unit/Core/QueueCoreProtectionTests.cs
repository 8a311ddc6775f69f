using OrleansJobs.Execution;
using OrleansJobs.Queues.Core;
using OrleansJobs.Storage;

namespace OrleansJobs.Tests.Unit.Core;

public sealed class QueueCoreProtectionTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.Parse("2026-01-01T00:00:00Z");
    private static readonly QueueKey Queue = new("t", "job");
    private static readonly TimeoutException Down = new("downstream down");
    private readonly JobIdGenerator _ids = new(TimeProvider.System);

    private static readonly CircuitBreakerPolicy Breaker = new()
    {
        FailureRatio = 0.5,
        MinimumAttempts = 2,
        SamplingWindow = TimeSpan.FromSeconds(10),
        BreakFor = TimeSpan.FromSeconds(5),
        Probes = 1,
    };

    private NewJob Row() => new(_ids.Next(), Queue, [], JobPriority.Normal, T0, T0, 3, TimeSpan.FromSeconds(10), null, null);

    private static LeasedJob Leased(JobId id, int attempt = 1) => new(id, Queue, attempt, attempt, 3, TimeSpan.FromSeconds(10), T0, []);

    /// <summary>Inserts jobs; those that find a slot start at once. Returns the started ones' ids.</summary>
    private JobId[] Insert(QueueCore core, DateTimeOffset now, int count)
    {
        var rows = core.PlanStarts(now, [.. Enumerable.Range(0, count).Select(_ => Row())]);
        core.InsertCommitted(now, rows, [.. rows.Select(r => new InsertOutcome(r.Id, true))]);
        return [.. core.TakeCommands().OfType<RunAttempt>().Select(r => r.Job.Id)];
    }

    private static AttemptOutcome End(QueueCore core, DateTimeOffset now, JobId id, Exception? error, int attempt = 1)
    {
        core.AttemptEnded(now, Leased(id, attempt), new JobRunResult(error, TimeSpan.FromMilliseconds(20)));
        return core.TakeCommands().OfType<WriteOutcome>().Single().Outcome;
    }

    /// <summary>Two attempts fail and open the breaker; <paramref name="waiting"/> more jobs then wait in the window.</summary>
    private QueueCore OpenedWith(int waiting)
    {
        var core = QueueCoreTests.NewCore(maxConcurrency: 3, breaker: Breaker);
        var running = Insert(core, T0, 2);
        End(core, T0, running[0], Down);
        End(core, T0, running[1], Down);
        Insert(core, T0, waiting);
        return core;
    }

    /// <summary>The break ends: the one probe's lease is asked for and commits. Returns the commands of the break's end.</summary>
    private static (LeaseRequest Probe, QueueCommand[] Commands) ProbeStarted(QueueCore core)
    {
        core.PumpTimerFired(T0.AddSeconds(5));
        var commands = core.TakeCommands();
        var probe = commands.OfType<LeaseJobs>().Single().Requests.Single();
        core.LeasesCommitted(T0.AddSeconds(5), [probe], [Leased(probe.Id)]);
        Assert.Empty(core.TakeCommands().OfType<LeaseJobs>());
        return (probe, commands);
    }

    [Fact]
    public void An_open_breaker_starts_nothing_and_puts_back_failures_that_end_while_it_is_open_without_spending_the_attempt()
    {
        var core = QueueCoreTests.NewCore(maxConcurrency: 3, breaker: Breaker);
        var running = Insert(core, T0, 3);
        Assert.Equal(3, running.Length);

        // The first failure is one of one: under the two attempts the ratio needs, so it is an ordinary retry.
        Assert.IsType<Retrying>(End(core, T0, running[0], Down));
        core.AttemptEnded(T0, Leased(running[1]), new JobRunResult(Down, TimeSpan.FromMilliseconds(20)));
        var commands = core.TakeCommands();
        Assert.Equal(BreakerState.Open, commands.OfType<ReportBreaker>().Single().Change.State);
        var held = Assert.IsType<HeldByBreaker>(commands.OfType<WriteOutcome>().Single().Outcome);
        Assert.Equal(T0.AddSeconds(5), held.Write.RunAt);

        // Even its last attempt is not spent while the breaker is open: no dead letter for an outage.
        Assert.IsType<HeldByBreaker>(End(core, T0.AddSeconds(1), running[2], Down, attempt: 3));

        // New jobs wait in the window, not at insert and not by lease, and the queue looks again when the break ends.
        var rows = core.PlanStarts(T0.AddSeconds(2), [Row(), Row()]);
        Assert.All(rows, r => Assert.Null(r.Start));
        core.InsertCommitted(T0.AddSeconds(2), rows, [.. rows.Select(r => new InsertOutcome(r.Id, true))]);
        commands = core.TakeCommands();
        Assert.Empty(commands.OfType<LeaseJobs>());
        Assert.Equal(TimeSpan.FromSeconds(3), commands.OfType<ArmPumpTimer>().Last().Delay);
        Assert.Equal(2, core.Window.Count);
        Assert.Equal(BreakerState.Open, core.Breaker!.State);
    }

    [Fact]
    public void After_the_break_one_probe_runs_and_its_success_closes_the_breaker_and_starts_the_rest()
    {
        var core = OpenedWith(waiting: 3);
        var (probe, commands) = ProbeStarted(core);
        Assert.Equal(BreakerState.HalfOpen, commands.OfType<ReportBreaker>().Single().Change.State);

        core.AttemptEnded(T0.AddSeconds(6), Leased(probe.Id), new JobRunResult(null, TimeSpan.FromMilliseconds(20)));
        commands = core.TakeCommands();
        Assert.Equal(BreakerState.Closed, commands.OfType<ReportBreaker>().Single().Change.State);
        Assert.IsType<Succeeded>(commands.OfType<WriteOutcome>().Single().Outcome);
        Assert.Equal(2, commands.OfType<LeaseJobs>().Single().Requests.Count);
    }

    [Fact]
    public void A_failed_probe_spends_its_attempt_and_opens_the_breaker_again()
    {
        var core = OpenedWith(waiting: 1);
        var (probe, _) = ProbeStarted(core);

        core.AttemptEnded(T0.AddSeconds(6), Leased(probe.Id), new JobRunResult(Down, TimeSpan.FromMilliseconds(20)));
        var commands = core.TakeCommands();
        Assert.IsType<Retrying>(commands.OfType<WriteOutcome>().Single().Outcome);
        Assert.Equal((BreakerState.Open, (DateTimeOffset?)T0.AddSeconds(11)), (commands.OfType<ReportBreaker>().Single().Change.State, core.Breaker!.OpenUntil));
    }

    [Fact]
    public void Errors_that_are_the_jobs_own_neither_open_the_breaker_nor_are_put_back()
    {
        var core = QueueCoreTests.NewCore(maxConcurrency: 3, breaker: Breaker);
        var running = Insert(core, T0, 3);
        var poison = new InvalidOperationException("bad input");
        Assert.IsType<DeadLettered>(End(core, T0, running[0], poison));
        Assert.IsType<DeadLettered>(End(core, T0, running[1], poison));
        Assert.IsType<Rescheduled>(End(core, T0, running[2], new SnoozeJobException(TimeSpan.FromSeconds(1))));
        Assert.Equal(BreakerState.Closed, core.Breaker!.State);
    }

    [Fact]
    public void Adaptive_concurrency_lowers_how_many_attempts_start_after_failures()
    {
        var core = QueueCoreTests.NewCore(maxConcurrency: 4, adaptive: new AdaptiveConcurrencyPolicy { Backoff = 0.5 });
        var running = Insert(core, T0, 4);
        Assert.Equal(4, running.Length);

        // 4 → 2 → 1: the two failures leave two attempts in flight over a limit of one.
        End(core, T0, running[0], Down);
        End(core, T0, running[1], Down);
        Assert.Equal(1, core.ConcurrencyLimit);
        Assert.Empty(Insert(core, T0, 3));
        Assert.Empty(core.TakeCommands().OfType<LeaseJobs>());

        // One still running ends well while the queue uses its limit: the limit climbs by one, and one more job starts.
        core.AttemptEnded(T0, Leased(running[2]), new JobRunResult(null, TimeSpan.FromMilliseconds(20)));
        Assert.Equal(2, core.ConcurrencyLimit);
        Assert.Single(core.TakeCommands().OfType<LeaseJobs>().Single().Requests);
    }

    [Fact]
    public void Turning_the_breaker_off_while_it_is_open_says_so_and_lets_the_queue_start_again()
    {
        var core = OpenedWith(waiting: 2);
        core.PolicyChanged(T0.AddSeconds(1), core.Policy with { Breaker = null }, 2);
        var commands = core.TakeCommands();
        Assert.Equal(BreakerState.Closed, commands.OfType<ReportBreaker>().Single().Change.State);
        Assert.Equal(2, commands.OfType<LeaseJobs>().Single().Requests.Count);
        Assert.Null(core.Breaker);
    }
}
