using Microsoft.Extensions.DependencyInjection;
using OrleansJobs.Hosting;
using OrleansJobs.Queues;
using OrleansJobs.Storage;

namespace OrleansJobs.Tests.Cluster;

/// <summary>
/// A silo with one worker slot, whose queues read a clock the test can move ahead while timers
/// keep real time, so an attempt can outlive its lease while it waits in line for the slot.
/// </summary>
public abstract class OneSlotFixture(TestStore store) : SiloFixture("orleansjobs-one-slot-", store)
{
    public AdjustableClock QueueClock { get; } = new();

    protected override void AddServices(IServiceCollection services) =>
        services.AddKeyedSingleton<TimeProvider>(QueueGrain.ClockKey, QueueClock);

    protected override void AddJobs(Func<Action<OrleansJobsOptions>, OrleansJobsBuilder> configure) =>
        configure(o =>
            {
                o.MaxConcurrentJobsPerSilo = 1;
                o.HousekeepingInterval = TimeSpan.FromMilliseconds(100);
            })
            .AddJobHandler<ProbePayload, ProbeHandler>(ClusterFixture.Noop, t => t.Timeout = TimeSpan.FromSeconds(30));
}

public sealed class SqliteOneSlotFixture() : OneSlotFixture(TestStore.Sqlite);

public sealed class PostgresOneSlotFixture() : OneSlotFixture(TestStore.Postgres);

/// <summary>The system clock, moved ahead by <see cref="Ahead"/>; timers and timestamps stay real.</summary>
public sealed class AdjustableClock : TimeProvider
{
    public TimeSpan Ahead { get; set; }

    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + Ahead;
}

public abstract class WorkerLineTests(OneSlotFixture fixture)
{
    private readonly string _tenant = "w" + Guid.NewGuid().ToString("N")[..12];

    [Fact]
    public async Task An_attempt_waiting_in_line_past_its_lease_runs_once()
    {
        var (_, waiting) = await EnqueueBehindAsync(TimeSpan.FromSeconds(3));

        // Its lease (30 s timeout plus margin) now looks long expired to the queue's sweeps, which
        // run every 100 ms while the first job holds the slot for 3 s.
        fixture.QueueClock.Ahead += TimeSpan.FromHours(1);
        await fixture.Probe.WaitForAsync(
            async () => (await fixture.Jobs.GetStatusAsync(_tenant, waiting))?.State == JobState.Succeeded,
            "the waiting job to succeed");

        Assert.Equal([1], fixture.Probe.Starts(waiting).Select(s => s.Attempt));
        Assert.Equal(1, (await fixture.Jobs.GetStatusAsync(_tenant, waiting))!.Attempt);
    }

    [Fact]
    public async Task An_attempt_whose_lease_was_taken_while_it_waited_runs_again_and_succeeds()
    {
        var (running, waiting) = await EnqueueBehindAsync(TimeSpan.FromSeconds(1));

        // As a sweep of another owner would: the job is enqueued again while its first attempt waits.
        var sweep = new JobWriteBatch();
        sweep.Requeues.Add(new RequeueExpired(new QueueKey(_tenant, ClusterFixture.Noop), DateTimeOffset.MaxValue, [running]));
        Assert.Equal(1, (await fixture.Store.WriteAsync(sweep, default)).Requeues[0]);
        await fixture.Probe.WaitForAsync(
            async () => (await fixture.Jobs.GetStatusAsync(_tenant, waiting))?.State == JobState.Succeeded,
            "the waiting job to succeed");

        // The first attempt ran but could not record its outcome; the second, paged in again, did.
        Assert.Equal([1, 2], fixture.Probe.Starts(waiting).Select(s => s.Attempt));
        Assert.Equal(2, (await fixture.Jobs.GetStatusAsync(_tenant, waiting))!.Attempt);
    }

    [Fact]
    public async Task A_job_that_waited_for_the_slot_reports_when_its_handler_started_not_when_it_was_leased()
    {
        // Leased while the first job had just taken the slot, which it holds for a second.
        var (running, waiting) = await EnqueueBehindAsync(TimeSpan.FromSeconds(1));
        await fixture.Probe.WaitForAsync(
            async () => (await fixture.Jobs.GetStatusAsync(_tenant, waiting))?.State == JobState.Succeeded,
            "the waiting job to succeed");

        var started = (await fixture.Jobs.GetStatusAsync(_tenant, waiting))!.StartedAt!.Value;
        var handler = Assert.Single(fixture.Probe.Starts(waiting)).At;

        // Taken just before the handler is called, once the first job gave the slot back.
        Assert.InRange(started, handler.AddMilliseconds(-50), handler.AddMilliseconds(1));
        Assert.True(started >= Assert.Single(fixture.Probe.Starts(running)).At.AddMilliseconds(900));
    }

    /// <summary>Enqueues a job that holds the only slot for <paramref name="holdFor"/>, then one that is leased and waits in line behind it.</summary>
    private async Task<(JobId Running, JobId Waiting)> EnqueueBehindAsync(TimeSpan holdFor)
    {
        var first = await fixture.Jobs.EnqueueAsync(_tenant, ClusterFixture.Noop, new ProbePayload(DelayMs: (int)holdFor.TotalMilliseconds));
        await fixture.Probe.WaitForAsync(() => fixture.Probe.Starts(first).Count == 1, "the first job to take the only slot");
        var waiting = await fixture.Jobs.EnqueueAsync(_tenant, ClusterFixture.Noop, new ProbePayload());
        await fixture.Probe.WaitForAsync(
            async () => (await fixture.Jobs.GetStatusAsync(_tenant, waiting))?.State == JobState.Active,
            "the second job to be leased while it waits for the slot");
        return (first, waiting);
    }
}

public sealed class WorkerLineTestsOnSqlite(SqliteOneSlotFixture fixture) : WorkerLineTests(fixture), IClassFixture<SqliteOneSlotFixture>;

public sealed class WorkerLineTestsOnPostgres(PostgresOneSlotFixture fixture) : WorkerLineTests(fixture), IClassFixture<PostgresOneSlotFixture>;
