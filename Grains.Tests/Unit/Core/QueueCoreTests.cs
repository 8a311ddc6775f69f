using OrleansJobs.Execution;
using OrleansJobs.Grains;
using OrleansJobs.Policies;
using OrleansJobs.Queues.Core;
using OrleansJobs.Storage;

namespace OrleansJobs.Tests.Unit.Core;

public sealed class QueueCoreTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.Parse("2026-01-01T00:00:00Z");
    private static readonly QueueKey Queue = new("t", "job");
    private readonly JobIdGenerator _ids = new(TimeProvider.System);

    internal static QueueCore NewCore(int maxConcurrency = 2, double? rate = null, AdaptiveConcurrencyPolicy? adaptive = null, CircuitBreakerPolicy? breaker = null, TimeSpan? aging = null)
    {
        var settings = new QueueCoreSettings("silo", 8, TimeSpan.FromMinutes(1), TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(30),
            TimeSpan.FromSeconds(1), new RetryPolicy(), e => e is not InvalidOperationException);
        var policy = new EffectiveQueuePolicy(maxConcurrency, rate, 1, null, 3, TimeSpan.FromSeconds(10), OverflowPolicy.Reject, adaptive, breaker, PriorityAging: aging);
        var core = new QueueCore(settings, policy, null, new Random(1), new OrleansJobs.Tests.Simulation.ModelRoom(1_000_000).Open());
        core.Activate(T0, nextDue: null);
        var read = core.TakeCommands().OfType<ReadPage>().Single();
        core.PageRead(T0, read, []);
        var sync = core.TakeCommands().OfType<SyncPermits>().SingleOrDefault();
        core.PermitsGranted(T0, new PermitGrant(null, null));
        core.TakeCommands();
        return core;
    }

    private NewJob Row(int delaySeconds = 0) =>
        new(_ids.Next(), Queue, [], JobPriority.Normal, T0, T0.AddSeconds(delaySeconds), 3, TimeSpan.FromSeconds(10), null, null);

    private static LeasedJob Leased(JobId id, long lease = 1) => new(id, Queue, lease, 1, 3, TimeSpan.FromSeconds(10), T0, []);

    [Fact]
    public void Jobs_that_find_a_free_slot_start_as_they_are_inserted_and_the_rest_wait_in_the_window()
    {
        var core = NewCore(maxConcurrency: 2);
        var rows = core.PlanStarts(T0, [Row(), Row(), Row(), Row(delaySeconds: 60)]);
        Assert.Equal(2, rows.Count(r => r.Start is not null));
        Assert.Null(rows[3].Start);

        core.InsertCommitted(T0, rows, [.. rows.Select(r => new InsertOutcome(r.Id, true))]);

        var commands = core.TakeCommands();
        Assert.Equal([rows[0].Id, rows[1].Id], commands.OfType<RunAttempt>().Select(r => r.Job.Id));
        Assert.Equal(T0.AddSeconds(60), commands.OfType<ArmDueTimer>().Single().At);
        Assert.Empty(commands.OfType<LeaseJobs>());
        Assert.Equal(1, core.Window.Count);
        Assert.Equal(2, core.Attempts.InBudget);
    }

    [Fact]
    public void A_job_sent_again_while_its_first_attempt_runs_is_not_started_a_second_time()
    {
        var core = NewCore(maxConcurrency: 2);
        var rows = core.PlanStarts(T0, [Row()]);
        core.InsertCommitted(T0, rows, [new InsertOutcome(rows[0].Id, true)]);
        core.TakeCommands();

        // The client's retry carries the id it chose; a slot is free, but that job already runs here.
        var again = core.PlanStarts(T0, [rows[0] with { Start = null }]);
        Assert.Null(again[0].Start);
        Assert.Equal(1, core.Attempts.InBudget);
        core.InsertCommitted(T0, again, [new InsertOutcome(rows[0].Id, false)]);

        Assert.Empty(core.TakeCommands().OfType<RunAttempt>());
        Assert.Equal(AttemptPhase.Running, core.Attempts.PhaseOf(rows[0].Id));
        Assert.Equal(0, core.Window.Count);
    }

    [Fact]
    public void A_throttled_attempt_is_rescheduled_uncounted_and_the_queue_starts_nothing_until_the_backoff_ends()
    {
        var core = NewCore(maxConcurrency: 2);
        var rows = core.PlanStarts(T0, [Row()]);
        core.InsertCommitted(T0, rows, [new InsertOutcome(rows[0].Id, true)]);
        core.TakeCommands();

        core.AttemptEnded(T0, Leased(rows[0].Id), new JobRunResult(new DownstreamThrottledException(TimeSpan.FromSeconds(2)), TimeSpan.Zero));

        var write = Assert.IsType<Rescheduled>(core.TakeCommands().OfType<WriteOutcome>().Single().Outcome);
        Assert.Equal((T0.AddSeconds(2), T0.AddSeconds(2)), (write.Write.RunAt, write.QueueBackoffUntil));
        Assert.Equal(T0.AddSeconds(2), core.BackoffUntil);

        // A free slot and a new job, but the downstream asked for two seconds.
        var later = core.PlanStarts(T0.AddSeconds(1), [Row()]);
        Assert.Null(later[0].Start);
        core.InsertCommitted(T0.AddSeconds(1), later, [new InsertOutcome(later[0].Id, true)]);
        var waiting = core.TakeCommands();
        Assert.Empty(waiting.OfType<LeaseJobs>());
        Assert.Equal(TimeSpan.FromSeconds(1), waiting.OfType<ArmPumpTimer>().Last().Delay);

        core.PumpTimerFired(T0.AddSeconds(2));
        Assert.Equal([later[0].Id], core.TakeCommands().OfType<LeaseJobs>().Single().Requests.Select(r => r.Id));
    }

    [Fact]
    public void A_paused_queue_takes_jobs_into_its_window_and_starts_them_only_when_resumed()
    {
        var core = NewCore(maxConcurrency: 2);
        core.PauseChanged(T0, paused: true);

        var rows = core.PlanStarts(T0, [Row(), Row()]);
        Assert.All(rows, r => Assert.Null(r.Start));
        core.InsertCommitted(T0, rows, [.. rows.Select(r => new InsertOutcome(r.Id, true))]);
        Assert.Empty(core.TakeCommands().OfType<LeaseJobs>());
        Assert.Equal(2, core.Window.Count);
        Assert.True(core.HasWork);

        core.PauseChanged(T0, paused: false);
        Assert.Equal(rows.Select(r => r.Id), core.TakeCommands().OfType<LeaseJobs>().Single().Requests.Select(r => r.Id));
    }

    [Fact]
    public void A_snoozed_attempt_is_rescheduled_uncounted_and_the_queue_goes_on()
    {
        var core = NewCore(maxConcurrency: 1);
        var rows = core.PlanStarts(T0, [Row(), Row()]);
        core.InsertCommitted(T0, rows, [.. rows.Select(r => new InsertOutcome(r.Id, true))]);
        core.TakeCommands();

        core.AttemptEnded(T0, Leased(rows[0].Id), new JobRunResult(new SnoozeJobException(TimeSpan.FromMinutes(5)), TimeSpan.Zero));

        var commands = core.TakeCommands();
        var write = Assert.IsType<Rescheduled>(commands.OfType<WriteOutcome>().Single().Outcome);
        Assert.Equal((T0.AddMinutes(5), (DateTimeOffset?)null), (write.Write.RunAt, write.QueueBackoffUntil));
        Assert.Null(core.BackoffUntil);
        Assert.Equal(rows[1].Id, commands.OfType<LeaseJobs>().Single().Requests.Single().Id);
        core.OutcomeStored(T0, Leased(rows[0].Id), write, stored: true);
        Assert.Equal(T0.AddMinutes(5), core.Due.NextDue);
    }

    [Fact]
    public void An_ended_attempt_frees_its_slot_for_the_next_job_before_its_outcome_is_stored()
    {
        var core = NewCore(maxConcurrency: 1);
        var rows = core.PlanStarts(T0, [Row(), Row()]);
        core.InsertCommitted(T0, rows, [.. rows.Select(r => new InsertOutcome(r.Id, true))]);
        core.TakeCommands();

        core.AttemptEnded(T0, Leased(rows[0].Id), new JobRunResult(null, TimeSpan.FromMilliseconds(5)));

        var commands = core.TakeCommands();
        var write = commands.OfType<WriteOutcome>().Single();
        Assert.IsType<Succeeded>(write.Outcome);
        Assert.Equal(rows[1].Id, commands.OfType<LeaseJobs>().Single().Requests.Single().Id);
        Assert.Equal(AttemptPhase.Recording, core.Attempts.PhaseOf(rows[0].Id));
    }

    [Fact]
    public void The_sweep_leaves_every_attempt_the_activation_holds_alone_including_those_being_recorded()
    {
        var core = NewCore(maxConcurrency: 2);
        var rows = core.PlanStarts(T0, [Row(), Row()]);
        core.InsertCommitted(T0, rows, [.. rows.Select(r => new InsertOutcome(r.Id, true))]);
        core.AttemptEnded(T0, Leased(rows[0].Id), new JobRunResult(new TimeoutException(), TimeSpan.Zero));
        core.TakeCommands();

        core.Housekeep(T0.AddHours(1));

        var sweep = core.TakeCommands().OfType<RequeueStale>().Single();
        Assert.Equal(rows.Select(r => r.Id).Order(), sweep.Except.Order());
    }

    [Fact]
    public void A_job_paged_in_while_its_last_attempt_is_recorded_joins_the_window_only_when_that_ends()
    {
        var core = NewCore(maxConcurrency: 1);
        var rows = core.PlanStarts(T0, [Row()]);
        core.InsertCommitted(T0, rows, [new InsertOutcome(rows[0].Id, true)]);
        var job = Leased(rows[0].Id);
        core.AttemptEnded(T0, job, new JobRunResult(new TimeoutException(), TimeSpan.Zero));
        var write = core.TakeCommands().OfType<WriteOutcome>().Single();

        // The retry committed and a promotion found it due before the queue heard the retry was stored.
        core.DuePromoted(T0.AddSeconds(5), new DuePromotion([new ReadyJob(job.Id, JobPriority.Normal, T0.AddSeconds(1))], null));
        Assert.Empty(core.TakeCommands().OfType<LeaseJobs>());
        Assert.False(core.Window.Contains(job.Id));

        core.OutcomeStored(T0.AddSeconds(5), job, write.Outcome, stored: true);

        Assert.Equal(job.Id, core.TakeCommands().OfType<LeaseJobs>().Single().Requests.Single().Id);
    }

    [Fact]
    public void A_refused_outcome_makes_the_next_page_read_from_the_top()
    {
        var core = NewCore(maxConcurrency: 1);
        var rows = core.PlanStarts(T0, [Row()]);
        core.InsertCommitted(T0, rows, [new InsertOutcome(rows[0].Id, true)]);
        core.AttemptEnded(T0, Leased(rows[0].Id), new JobRunResult(null, TimeSpan.Zero));
        var write = core.TakeCommands().OfType<WriteOutcome>().Single();

        core.OutcomeStored(T0, write.Job, write.Outcome, stored: false);

        Assert.Null(core.TakeCommands().OfType<ReadPage>().Single().After);
    }

    [Fact]
    public void A_draining_queue_starts_nothing_and_says_when_its_last_attempt_ended()
    {
        var core = NewCore(maxConcurrency: 1);
        var rows = core.PlanStarts(T0, [Row(), Row()]);
        core.InsertCommitted(T0, rows, [.. rows.Select(r => new InsertOutcome(r.Id, true))]);
        core.TakeCommands();

        core.Deactivate(T0);
        Assert.Empty(core.TakeCommands());
        core.AttemptEnded(T0, Leased(rows[0].Id), new JobRunResult(null, TimeSpan.Zero));
        var write = Assert.IsType<WriteOutcome>(Assert.Single(core.TakeCommands()));
        core.OutcomeStored(T0, write.Job, write.Outcome, stored: true);

        Assert.IsType<Drained>(Assert.Single(core.TakeCommands()));
    }

    [Fact]
    public void A_rate_limited_queue_waits_for_its_next_token()
    {
        var core = NewCore(maxConcurrency: 4, rate: 2);
        var rows = core.PlanStarts(T0, [Row(), Row()]);
        Assert.Single(rows, r => r.Start is not null);
        core.InsertCommitted(T0, rows, [.. rows.Select(r => new InsertOutcome(r.Id, true))]);

        var timer = core.TakeCommands().OfType<ArmPumpTimer>().Single();
        Assert.Equal(TimeSpan.FromSeconds(0.5), timer.Delay);

        core.PumpTimerFired(T0.AddSeconds(0.5));
        Assert.Equal(rows[1].Id, core.TakeCommands().OfType<LeaseJobs>().Single().Requests.Single().Id);
    }
}
