namespace OrleansJobs.Tests.Cluster;

public abstract class ScheduleClusterTests(ClusterFixture fixture)
{
    private readonly string _tenant = "s" + Guid.NewGuid().ToString("N")[..12];
    private JobProbe Probe => fixture.Probe;
    private IJobClient Jobs => fixture.Jobs;

    private RecurringJob EverySecond(string id) => new() { Tenant = _tenant, Id = id, JobType = ClusterFixture.Noop, Cron = "* * * * * *" };

    [Fact]
    public async Task A_schedule_enqueues_a_job_per_occurrence_until_it_is_deleted()
    {
        var created = await Jobs.UpsertScheduleAsync(EverySecond("ticker"));
        Assert.NotNull(created.NextOccurrence);
        await Probe.WaitForAsync(() => Probe.SuccessesOf(_tenant) >= 2, "two occurrences to run");

        var info = (await Jobs.GetScheduleAsync(_tenant, "ticker"))!;
        Assert.True(info.LastOccurrence < info.NextOccurrence);
        var last = (await Jobs.GetStatusAsync(_tenant, info.LastJobId!.Value))!;
        Assert.Equal(ClusterFixture.Noop, last.JobType);
        Assert.Equal(["ticker"], (await Jobs.ListSchedulesAsync(_tenant)).Items.Select(s => s.Definition.Id));

        Assert.True(await Jobs.DeleteScheduleAsync(_tenant, "ticker"));
        Assert.Null(await Jobs.GetScheduleAsync(_tenant, "ticker"));
        var afterDelete = (await Fired(info.Definition.Id)).Count;

        // Another schedule firing twice more proves time went on; the deleted one added nothing meanwhile.
        await Jobs.UpsertScheduleAsync(EverySecond("witness"));
        await Probe.WaitForAsync(async () => (await Fired("witness")).Count >= 2, "the witness schedule to fire twice");
        Assert.Equal(afterDelete, (await Fired("ticker")).Count);
        Assert.False(await Jobs.DeleteScheduleAsync(_tenant, "ticker"));
        await Jobs.DeleteScheduleAsync(_tenant, "witness");
    }

    [Fact]
    public async Task A_schedule_taken_down_between_occurrences_keeps_firing()
    {
        await Jobs.UpsertScheduleAsync(EverySecond("steady"));
        await Probe.WaitForAsync(() => Probe.SuccessesOf(_tenant) >= 1, "the first occurrence to run");

        // Orleans takes the idle schedule down, and its timer with it, as it does one whose grain
        // directory entry died with another silo; its reminder would bring it back only after a minute.
        await fixture.Cluster.Client.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
        var before = Probe.SuccessesOf(_tenant);

        await Probe.WaitForAsync(() => Probe.SuccessesOf(_tenant) >= before + 2, "two more occurrences", TimeSpan.FromSeconds(10));
        await Jobs.DeleteScheduleAsync(_tenant, "steady");
    }

    [Fact]
    public async Task A_paused_schedule_enqueues_nothing_even_after_it_moves_and_resumed_goes_on_from_now()
    {
        await Jobs.UpsertScheduleAsync(EverySecond("pausable"));
        await Probe.WaitForAsync(async () => (await Fired("pausable")).Count >= 1, "the first occurrence");

        var paused = (await Jobs.PauseScheduleAsync(_tenant, "pausable"))!;
        Assert.NotNull(paused.PausedAt);
        Assert.Null(paused.NextOccurrence);
        var firedWhenPaused = (await Fired("pausable")).Count;

        // Taken down and activated again: it reads its pause back. Replacing its definition keeps it paused.
        await fixture.Cluster.Client.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
        var replaced = await Jobs.UpsertScheduleAsync(EverySecond("pausable") with { Priority = JobPriority.High });
        Assert.Equal((paused.PausedAt, (DateTimeOffset?)null), (replaced.PausedAt, replaced.NextOccurrence));

        // A witness firing twice proves time went on; the paused schedule added nothing meanwhile.
        await Jobs.UpsertScheduleAsync(EverySecond("witness"));
        await Probe.WaitForAsync(async () => (await Fired("witness")).Count >= 2, "the witness schedule to fire twice");
        Assert.Equal(firedWhenPaused, (await Fired("pausable")).Count);

        var resumedAt = DateTimeOffset.UtcNow;
        var resumed = (await Jobs.ResumeScheduleAsync(_tenant, "pausable"))!;
        Assert.Null(resumed.PausedAt);
        Assert.InRange(resumed.NextOccurrence!.Value, resumedAt.AddSeconds(-1), resumedAt.AddSeconds(2));
        await Probe.WaitForAsync(async () => (await Fired("pausable")).Count > firedWhenPaused, "the resumed schedule to fire");

        Assert.Null(await Jobs.PauseScheduleAsync(_tenant, "no-such-schedule"));
        await Jobs.DeleteScheduleAsync(_tenant, "pausable");
        await Jobs.DeleteScheduleAsync(_tenant, "witness");
    }

    [Fact]
    public async Task Bad_schedules_are_refused_naming_the_field_and_store_nothing()
    {
        var badCron = await Assert.ThrowsAsync<JobValidationException>(() => Jobs.UpsertScheduleAsync(EverySecond("bad") with { Cron = "every day at noon" }));
        Assert.Equal("cron", badCron.Field);
        var badZone = await Assert.ThrowsAsync<JobValidationException>(() => Jobs.UpsertScheduleAsync(EverySecond("bad") with { TimeZone = "Nowhere/Special" }));
        Assert.Equal("timeZone", badZone.Field);
        var emptyZone = await Assert.ThrowsAsync<JobValidationException>(() => Jobs.UpsertScheduleAsync(EverySecond("bad") with { TimeZone = "" }));
        Assert.Equal(("timeZone", "required"), (emptyZone.Field, emptyZone.Code));
        var badPayload = await Assert.ThrowsAsync<JobValidationException>(() => Jobs.UpsertScheduleAsync(EverySecond("bad") with { Payload = "{oops"u8.ToArray() }));
        Assert.Equal("payload", badPayload.Field);
        var badName = await Assert.ThrowsAsync<JobValidationException>(() => Jobs.UpsertScheduleAsync(EverySecond("Bad Name!")));
        Assert.Equal("id", badName.Field);
        await Assert.ThrowsAsync<UnknownJobTypeException>(() => Jobs.UpsertScheduleAsync(EverySecond("bad") with { JobType = "no.such-type" }));

        Assert.Empty((await Jobs.ListSchedulesAsync(_tenant)).Items);
    }

    /// <summary>The jobs a schedule enqueued, found by the idempotency keys it gives them.</summary>
    private async Task<IReadOnlyList<JobId>> Fired(string scheduleId)
    {
        var ids = new List<JobId>();
        foreach (var id in Probe.JobsOf(_tenant))
        {
            if (await fixture.Store.GetJobAsync(_tenant, id, default) is { } job && job.IdempotencyKey?.StartsWith($"schedule:{scheduleId}:", StringComparison.Ordinal) == true)
            {
                ids.Add(id);
            }
        }

        return ids;
    }
}

[Collection(ClusterCollection.Name)]
public sealed class ScheduleClusterTestsOnSqlite(SqliteClusterFixture fixture) : ScheduleClusterTests(fixture);

[Collection(PostgresClusterCollection.Name)]
public sealed class ScheduleClusterTestsOnPostgres(PostgresClusterFixture fixture) : ScheduleClusterTests(fixture);
