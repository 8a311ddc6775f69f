using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orleans.Configuration;
using Orleans.TestingHost;
using OrleansJobs.Grains;
using OrleansJobs.Hosting;
using OrleansJobs.Schedules;
using OrleansJobs.Storage;
using OrleansJobs.Tests.Storage;

namespace OrleansJobs.Tests.Cluster;

/// <summary>
/// Two in-process silos on one PostgreSQL database. Schedules read a fake clock that the tests move
/// by hand, so "when is an occurrence due" is exact while everything else runs in real time.
/// </summary>
public sealed class TwoSiloScheduleFixture : IAsyncLifetime
{
    public static readonly DateTimeOffset Start = DateTimeOffset.Parse("2026-06-01T00:00:00Z");

    private PostgresDatabase _database = null!;

    public FakeTimeProvider Clock { get; } = new(Start);

    public JobProbe Probe { get; } = new();

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public IJobClient Jobs => Cluster.GetSiloServiceProvider(Cluster.Silos[0].SiloAddress).GetRequiredService<IJobClient>();

    internal IJobStore Store => Cluster.GetSiloServiceProvider(Cluster.Silos[0].SiloAddress).GetRequiredService<IJobStore>();

    /// <summary>Each live silo's own grain factory, so calls start from every silo.</summary>
    public IReadOnlyList<IGrainFactory> Factories => [.. Cluster.Silos.Select(s => Cluster.GetSiloServiceProvider(s.SiloAddress).GetRequiredService<IGrainFactory>())];

    public async Task InitializeAsync()
    {
        _database = await PostgresDatabase.CreateAsync();
        var builder = new InProcessTestClusterBuilder(2);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.Services.AddSingleton(Probe);
            silo.Services.AddKeyedSingleton<TimeProvider>(ScheduleGrain.ClockKey, Clock);
            silo.Configure<ClusterMembershipOptions>(o =>
            {
                o.ProbeTimeout = TimeSpan.FromSeconds(1);
                o.NumMissedProbesLimit = 2;
                o.NumVotesForDeathDeclaration = 1;
            });
            silo.UseInMemoryReminderService();
            silo.AddOrleansJobs(o =>
                {
                    o.HousekeepingInterval = TimeSpan.FromSeconds(1);
                    o.HistorySampleInterval = TimeSpan.FromSeconds(1);
                })
                .UsePostgresStore(o => o.ConnectionString = _database.ConnectionString)
                .AddJobHandler<ProbePayload, ProbeHandler>(ClusterFixture.Noop, t => t.MaxConcurrency = 64);
        });
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        await Cluster.DisposeAsync();
        await _database.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class TwoSiloScheduleCollection : ICollectionFixture<TwoSiloScheduleFixture>
{
    public const string Name = "two-silo schedules";
}

[Collection(TwoSiloScheduleCollection.Name)]
public sealed class ScheduleTwoSiloTests(TwoSiloScheduleFixture fixture)
{
    private static readonly TimeSpan Period = TimeSpan.FromSeconds(10);
    private readonly string _tenant = "c" + Guid.NewGuid().ToString("N")[..12];

    private RecurringJob Every10s(string id) => new() { Tenant = _tenant, Id = id, JobType = ClusterFixture.Noop, Cron = "*/10 * * * * *" };

    [Fact]
    public async Task With_a_fake_clock_each_occurrence_fires_exactly_once_while_both_silos_wake_every_schedule()
    {
        var ids = Enumerable.Range(0, 4).Select(i => $"s{i}").ToList();
        var start = AlignedNow();
        foreach (var id in ids)
        {
            Assert.Equal(start + Period, (await fixture.Jobs.UpsertScheduleAsync(Every10s(id))).NextOccurrence);
        }

        const int steps = 5;
        for (var step = 1; step <= steps; step++)
        {
            fixture.Clock.Advance(Period);
            var due = start + step * Period;

            // Every silo wakes every schedule at once, twice: the single owner serializes them.
            await Task.WhenAll(fixture.Factories.SelectMany(f => ids.SelectMany(id => Enumerable.Repeat(f.GetGrain<IScheduleGrain>($"{_tenant}/{id}"), 2)))
                .Select(g => g.WakeAsync()));
            await fixture.Probe.WaitForAsync(async () => await AllFiredAsync(ids, due), $"every schedule to fire {due:O}");
        }

        await WaitForAllToRunAsync(ids.Count * steps);
        var fired = await FiredAsync();
        Assert.Equal(ids.Count * steps, fired.Count);
        foreach (var id in ids)
        {
            var expected = Enumerable.Range(1, steps).Select(s => ScheduleGrain.OccurrenceKey(id, start + s * Period)).ToHashSet();
            Assert.Equal(expected, fired.Where(f => f.Key.StartsWith($"schedule:{id}:", StringComparison.Ordinal)).Select(f => f.Key).ToHashSet());
        }

        Assert.All(fired, f => Assert.Equal(1, fixture.Probe.Successes(f.Id)));
        foreach (var id in ids)
        {
            await fixture.Jobs.DeleteScheduleAsync(_tenant, id);
        }
    }

    [Fact]
    public async Task A_silo_crash_at_the_occurrence_time_neither_loses_nor_doubles_it()
    {
        var ids = Enumerable.Range(0, 6).Select(i => $"k{i}").ToList();
        var start = AlignedNow();
        foreach (var id in ids)
        {
            await fixture.Jobs.UpsertScheduleAsync(Every10s(id));
        }

        // Touch every owner from both silos so that they are spread over the cluster and active.
        await Task.WhenAll(fixture.Factories.SelectMany(f => ids.Select(id => f.GetGrain<IScheduleGrain>($"{_tenant}/{id}").GetAsync())));

        var due = start + Period;
        fixture.Clock.Advance(Period);

        // k0's owner got as far as enqueueing the occurrence and died before recording it.
        var alreadyEnqueued = await fixture.Jobs.EnqueueAsync(_tenant, ClusterFixture.Noop, new { }, new EnqueueOptions { IdempotencyKey = ScheduleGrain.OccurrenceKey("k0", due) });

        var victim = fixture.Cluster.Silos[1];
        await fixture.Cluster.KillSiloAsync(victim);
        try
        {
            // Nobody wakes them by hand: the survivor's dead-silo recovery must.
            await fixture.Probe.WaitForAsync(async () => await AllFiredAsync(ids, due), "every schedule to fire the occurrence due at the crash", TimeSpan.FromSeconds(90));

            await WaitForAllToRunAsync(ids.Count);
            var fired = await FiredAsync();
            Assert.Equal(ids.Count, fired.Count);
            Assert.Equal(ids.Select(id => ScheduleGrain.OccurrenceKey(id, due)).Order(), fired.Select(f => f.Key).Order());
            Assert.Equal(alreadyEnqueued, (await fixture.Jobs.GetScheduleAsync(_tenant, "k0"))!.LastJobId);
            Assert.All(fired, f => Assert.Equal(1, fixture.Probe.Successes(f.Id)));
        }
        finally
        {
            foreach (var id in ids)
            {
                await fixture.Jobs.DeleteScheduleAsync(_tenant, id);
            }

            await fixture.Cluster.StartAdditionalSiloAsync();
        }
    }

    [Fact]
    public async Task Occurrences_missed_beyond_the_grace_fire_once_or_are_skipped_per_the_misfire_policy_and_late_ones_all_fire()
    {
        var start = AlignedNow();
        await fixture.Jobs.UpsertScheduleAsync(Every10s("once") with { Misfire = MisfirePolicy.FireOnce });
        await fixture.Jobs.UpsertScheduleAsync(Every10s("skip") with { Misfire = MisfirePolicy.Skip });
        string[] ids = ["once", "skip"];

        // Five minutes pass unseen: occurrences up to now - 2 min (the grace) are missed, the 12 after it are late.
        fixture.Clock.Advance(TimeSpan.FromMinutes(5));
        var now = fixture.Clock.GetUtcNow();
        var cutoff = now - TimeSpan.FromMinutes(2);
        await Task.WhenAll(ids.Select(id => fixture.Factories[0].GetGrain<IScheduleGrain>($"{_tenant}/{id}").WakeAsync()));
        await fixture.Probe.WaitForAsync(async () => await AllFiredAsync(ids, now), "both schedules to catch up to now");

        var late = Enumerable.Range(1, 12).Select(i => cutoff + i * Period).ToList();
        await WaitForAllToRunAsync(1 + 2 * late.Count);
        var keys = (await FiredAsync()).Select(f => f.Key).ToHashSet();
        Assert.Equal(
            late.Select(o => ScheduleGrain.OccurrenceKey("once", o)).Append(ScheduleGrain.OccurrenceKey("once", cutoff)).ToHashSet(),
            keys.Where(k => k.StartsWith("schedule:once:", StringComparison.Ordinal)).ToHashSet());
        Assert.Equal(
            late.Select(o => ScheduleGrain.OccurrenceKey("skip", o)).ToHashSet(),
            keys.Where(k => k.StartsWith("schedule:skip:", StringComparison.Ordinal)).ToHashSet());
        Assert.Equal(now + Period, (await fixture.Jobs.GetScheduleAsync(_tenant, "skip"))!.NextOccurrence);

        foreach (var id in ids)
        {
            await fixture.Jobs.DeleteScheduleAsync(_tenant, id);
        }
    }

    /// <summary>Moves the fake clock to the next 10-second boundary, so occurrences fall at known times.</summary>
    private DateTimeOffset AlignedNow()
    {
        var now = fixture.Clock.GetUtcNow();
        var past = now.ToUnixTimeMilliseconds() % (long)Period.TotalMilliseconds;
        if (past != 0)
        {
            fixture.Clock.Advance(Period - TimeSpan.FromMilliseconds(past));
        }

        return fixture.Clock.GetUtcNow();
    }

    private async Task<bool> AllFiredAsync(IEnumerable<string> ids, DateTimeOffset occurrence)
    {
        foreach (var id in ids)
        {
            if ((await fixture.Jobs.GetScheduleAsync(_tenant, id))?.LastOccurrence != occurrence)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Waits until the tenant's queue has run <paramref name="expected"/> jobs and holds no other.</summary>
    private async Task WaitForAllToRunAsync(int expected)
    {
        var queue = new QueueKey(_tenant, ClusterFixture.Noop);
        await fixture.Probe.WaitForAsync(async () => (await fixture.Store.GetQueueCountsAsync(queue, default)).Succeeded >= expected, $"{expected} jobs to succeed");
        var counts = await fixture.Store.GetQueueCountsAsync(queue, default);
        Assert.Equal(new QueueCounts(0, 0, 0, expected, 0, null), counts);
    }

    /// <summary>Every job of this test's tenant in the store, with its idempotency key, found through the schedules' last jobs and the probe.</summary>
    private async Task<List<(JobId Id, string Key)>> FiredAsync()
    {
        var jobs = new List<(JobId, string)>();
        var seen = new HashSet<JobId>(fixture.Probe.JobsOf(_tenant));
        foreach (var schedule in (await fixture.Jobs.ListSchedulesAsync(_tenant)).Items)
        {
            if (schedule.LastJobId is { } last)
            {
                seen.Add(last);
            }
        }

        foreach (var id in seen)
        {
            var job = (await fixture.Store.GetJobAsync(_tenant, id, default))!;
            jobs.Add((id, job.IdempotencyKey ?? "(none)"));
        }

        return jobs;
    }
}
