using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.TestingHost;
using OrleansJobs.Hosting;
using OrleansJobs.Tests.Storage;

namespace OrleansJobs.Tests.Cluster;

public sealed record GatedPayload(string Gate, bool FailForGood = false);

/// <summary>Where gated jobs started, and the gates that hold them.</summary>
public sealed class GateProbe
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _gates = new();
    private readonly ConcurrentQueue<(JobId Id, int Attempt, string Silo, DateTimeOffset At)> _starts = new();

    public IReadOnlyList<(JobId Id, int Attempt, string Silo, DateTimeOffset At)> Starts => [.. _starts];

    public void Started(JobContext context, string silo) => _starts.Enqueue((context.JobId, context.Attempt, silo, DateTimeOffset.UtcNow));

    public Task WaitAsync(string gate, CancellationToken cancellationToken) => Gate(gate).Task.WaitAsync(cancellationToken);

    public void Open(string gate) => Gate(gate).TrySetResult();

    private TaskCompletionSource Gate(string gate) => _gates.GetOrAdd(gate, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
}

/// <summary>Records the silo it runs on, then waits for its gate (honouring cancellation).</summary>
public sealed class GatedHandler(GateProbe probe, ILocalSiloDetails silo) : IJobHandler<GatedPayload>
{
    public async Task HandleAsync(GatedPayload payload, JobContext context)
    {
        probe.Started(context, silo.SiloAddress.ToString());
        await probe.WaitAsync(payload.Gate, context.CancellationToken);
        if (payload.FailForGood)
        {
            throw new NonRetryableJobException("refused for good");
        }
    }
}

/// <summary>
/// Two in-process silos on one PostgreSQL database, each with a worker pool of <see cref="SlotsPerSilo"/>,
/// so a queue wanting more than that spills onto the other silo.
/// </summary>
public sealed class SpillOverFixture : IAsyncLifetime
{
    public const string Gated = "test.gated";
    public const int SlotsPerSilo = 2;

    private PostgresDatabase _database = null!;

    public GateProbe Gates { get; } = new();

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public IJobClient Jobs => Cluster.GetSiloServiceProvider(Cluster.Silos[0].SiloAddress).GetRequiredService<IJobClient>();

    public async Task InitializeAsync()
    {
        _database = await PostgresDatabase.CreateAsync();
        var builder = new InProcessTestClusterBuilder(2);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.Services.AddSingleton(Gates);
            silo.Configure<ClusterMembershipOptions>(o =>
            {
                o.ProbeTimeout = TimeSpan.FromSeconds(1);
                o.NumMissedProbesLimit = 2;
                o.NumVotesForDeathDeclaration = 1;
            });
            silo.UseInMemoryReminderService();
            silo.AddOrleansJobs(o =>
                {
                    o.MaxConcurrentJobsPerSilo = SlotsPerSilo;
                    o.HousekeepingInterval = TimeSpan.FromSeconds(1);
                    o.AbandonGrace = TimeSpan.FromMilliseconds(300);
                })
                .UsePostgresStore(o => o.ConnectionString = _database.ConnectionString)
                .AddJobHandler<GatedPayload, GatedHandler>(Gated, t =>
                {
                    t.MaxConcurrency = 8;
                    t.Retry = new Policies.RetryPolicy { BaseDelay = TimeSpan.FromMilliseconds(100), MaxDelay = TimeSpan.FromMilliseconds(200) };
                });
        });
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        await Cluster.DisposeAsync();
        await _database.DisposeAsync();
    }

    /// <summary>Starts <paramref name="count"/> jobs held by <paramref name="gate"/> and waits until all have started.</summary>
    public async Task<IReadOnlyList<JobId>> StartHeldAsync(string tenant, string gate, int count)
    {
        var ids = new List<JobId>();
        for (var i = 0; i < count; i++)
        {
            ids.Add(await Jobs.EnqueueAsync(tenant, Gated, new GatedPayload(gate)));
        }

        await WaitForAsync(() => ids.All(id => Gates.Starts.Any(s => s.Id == id)), $"{count} held jobs to start");
        return ids;
    }

    public string SiloOf(JobId id) => Gates.Starts.Last(s => s.Id == id).Silo;

    /// <summary>
    /// Fills the queue's home silo with jobs held by a new gate, then starts one more with <paramref name="payload"/>,
    /// which must run on the other silo. Returns the held jobs' gate, both silos and the job.
    /// </summary>
    public async Task<(string Hold, string Home, JobId Id, string Away)> StartOnOtherSiloAsync(string tenant, GatedPayload payload)
    {
        var hold = Guid.NewGuid().ToString();
        var held = await StartHeldAsync(tenant, hold, SlotsPerSilo);
        var home = SiloOf(held[0]);
        var id = await Jobs.EnqueueAsync(tenant, Gated, payload);
        await WaitForAsync(() => Gates.Starts.Any(s => s.Id == id), "the job to start");
        var away = SiloOf(id);
        Assert.NotEqual(home, away);
        return (hold, home, id, away);
    }

    public async Task WaitForAsync(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        await WaitForAsync(() => Task.FromResult(condition()), what, timeout);

    public async Task WaitForAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        while (!await condition())
        {
            try
            {
                await Task.Delay(50, cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"Timed out waiting for: {what}");
            }
        }
    }

    public async Task<JobState> StateAsync(string tenant, JobId id) => (await Jobs.GetStatusAsync(tenant, id))!.State;
}

public sealed class SpillOverTests(SpillOverFixture fixture) : IClassFixture<SpillOverFixture>
{
    private readonly string _tenant = "s" + Guid.NewGuid().ToString("N")[..12];

    [Fact]
    public async Task A_queue_wanting_more_than_its_silos_pool_runs_the_rest_on_the_other_silo()
    {
        var gate = Guid.NewGuid().ToString();
        var ids = await fixture.StartHeldAsync(_tenant, gate, 2 * SpillOverFixture.SlotsPerSilo);

        var perSilo = ids.GroupBy(fixture.SiloOf).Select(g => g.Count()).Order().ToArray();
        Assert.Equal([SpillOverFixture.SlotsPerSilo, SpillOverFixture.SlotsPerSilo], perSilo);

        fixture.Gates.Open(gate);
        foreach (var id in ids)
        {
            await fixture.WaitForAsync(async () => await fixture.StateAsync(_tenant, id) == JobState.Succeeded, $"job {id} to succeed");
            Assert.Equal(1, (await fixture.Jobs.GetStatusAsync(_tenant, id))!.Attempt);
        }
    }

    [Fact]
    public async Task A_finished_jobs_status_names_the_silo_that_ran_it_and_when_its_handler_started()
    {
        var gate = Guid.NewGuid().ToString();
        var (hold, home, id, away) = await fixture.StartOnOtherSiloAsync(_tenant, new GatedPayload(gate));
        fixture.Gates.Open(gate);
        fixture.Gates.Open(hold);

        await fixture.WaitForAsync(async () => await fixture.StateAsync(_tenant, id) == JobState.Succeeded, "the job to succeed");
        var info = (await fixture.Jobs.GetStatusAsync(_tenant, id))!;
        var start = fixture.Gates.Starts.Single(s => s.Id == id);
        Assert.Equal((away, away), (info.LastSilo, start.Silo));
        Assert.NotEqual(home, info.LastSilo);

        // Taken on the silo that ran it, just before its handler was called; store times keep milliseconds.
        Assert.InRange(info.StartedAt!.Value, start.At.AddMilliseconds(-50), start.At.AddMilliseconds(1));
    }

    [Fact]
    public async Task A_failure_on_the_other_silo_keeps_its_error_type_silo_and_retry_verdict()
    {
        var failing = Guid.NewGuid().ToString();
        var (hold, _, id, away) = await fixture.StartOnOtherSiloAsync(_tenant, new GatedPayload(failing, FailForGood: true));

        fixture.Gates.Open(failing);
        await fixture.WaitForAsync(async () => await fixture.StateAsync(_tenant, id) == JobState.Dead, "the job to be dead-lettered at once");
        var dead = (await fixture.Jobs.GetDeadLetterAsync(_tenant, id))!;
        var error = Assert.Single(dead.Errors);
        Assert.Equal((typeof(NonRetryableJobException).FullName, "refused for good", away), (error.ErrorType, error.Message, error.Silo));
        Assert.Contains(nameof(GatedHandler), error.StackTrace);
        fixture.Gates.Open(hold);
    }

    [Fact]
    public async Task Cancelling_an_attempt_on_the_other_silo_fires_its_handlers_token()
    {
        var (hold, _, id, _) = await fixture.StartOnOtherSiloAsync(_tenant, new GatedPayload(Guid.NewGuid().ToString()));

        Assert.True(await fixture.Jobs.CancelAsync(_tenant, id));

        await fixture.WaitForAsync(async () => await fixture.StateAsync(_tenant, id) == JobState.Cancelled, "the job to end cancelled");
        Assert.Equal("Cancelled; the handler stopped.", (await fixture.Jobs.GetStatusAsync(_tenant, id))!.LastError);
        fixture.Gates.Open(hold);
    }
}

/// <summary>Its own cluster: the test kills a silo.</summary>
public sealed class SpillOverSiloDeathTests(SpillOverFixture fixture) : IClassFixture<SpillOverFixture>
{
    private readonly string _tenant = "d" + Guid.NewGuid().ToString("N")[..12];

    [Fact]
    public async Task An_attempt_on_a_silo_that_dies_runs_again_on_a_live_one()
    {
        var doomed = Guid.NewGuid().ToString();
        var (hold, home, id, away) = await fixture.StartOnOtherSiloAsync(_tenant, new GatedPayload(doomed));

        await fixture.Cluster.KillSiloAsync(fixture.Cluster.Silos.Single(s => s.SiloAddress.ToString() == away));
        fixture.Gates.Open(hold);
        await fixture.WaitForAsync(() => fixture.Gates.Starts.Any(s => s.Id == id && s.Attempt == 2), "the lost attempt to start again", TimeSpan.FromSeconds(60));
        fixture.Gates.Open(doomed);

        await fixture.WaitForAsync(async () => await fixture.StateAsync(_tenant, id) == JobState.Succeeded, "the second attempt to succeed");
        var rerun = fixture.Gates.Starts.Last(s => s.Id == id);
        Assert.Equal((2, home), (rerun.Attempt, rerun.Silo));
        var info = (await fixture.Jobs.GetStatusAsync(_tenant, id))!;
        Assert.Contains("declared dead", info.LastError);
    }
}

/// <summary>Its own cluster: the test stops a silo.</summary>
public sealed class SpillOverSiloStopTests(SpillOverFixture fixture) : IClassFixture<SpillOverFixture>
{
    private readonly string _tenant = "g" + Guid.NewGuid().ToString("N")[..12];

    [Fact]
    public async Task A_silo_stopping_gracefully_finishes_the_attempts_it_took_in_and_reports_them()
    {
        var finishing = Guid.NewGuid().ToString();
        var (hold, home, id, away) = await fixture.StartOnOtherSiloAsync(_tenant, new GatedPayload(finishing));

        var victim = fixture.Cluster.Silos.Single(s => s.SiloAddress.ToString() == away);
        var membership = fixture.Cluster.GetSiloServiceProvider(fixture.Cluster.Silos.Single(s => s.SiloAddress.ToString() == home).SiloAddress)
            .GetRequiredService<IClusterMembershipService>();
        var stopping = fixture.Cluster.StopSiloAsync(victim);
        // The handler ends only once the cluster knows its silo is going: a silo that did not wait for it would be gone.
        await fixture.WaitForAsync(
            () => membership.CurrentSnapshot.GetSiloStatus(victim.SiloAddress) != SiloStatus.Active,
            "the cluster to see the silo shutting down");
        // A silo that did not wait for the attempts it took in would finish stopping now, the handler still held.
        Assert.NotSame(stopping, await Task.WhenAny(stopping, Task.Delay(TimeSpan.FromSeconds(3))));
        fixture.Gates.Open(finishing);
        await stopping;
        fixture.Gates.Open(hold);

        await fixture.WaitForAsync(async () => await fixture.StateAsync(_tenant, id) == JobState.Succeeded, "the job to succeed");
        var info = (await fixture.Jobs.GetStatusAsync(_tenant, id))!;
        Assert.Equal((1, (string?)null), (info.Attempt, info.LastError));
        Assert.Single(fixture.Gates.Starts, s => s.Id == id);
    }
}
