using System.Text;
using OrleansJobs.Storage;

namespace OrleansJobs.Tests.Storage;

/// <summary>Recurring jobs' rows.</summary>
public abstract partial class JobStoreContractTests
{
    [Fact]
    public async Task Schedules_are_saved_read_listed_in_pages_and_deleted()
    {
        ScheduleInfo Schedule(string id, DateTimeOffset? next) => new()
        {
            Definition = new RecurringJob
            {
                Tenant = _tenant, Id = id, JobType = "email.send", Cron = "*/5 * * * * *", TimeZone = "Europe/Paris",
                Payload = "{\"to\":\"a@b.c\"}"u8.ToArray(), Priority = JobPriority.High, MaxAttempts = 2, Timeout = TimeSpan.FromSeconds(45), Misfire = MisfirePolicy.Skip,
            },
            NextOccurrence = next,
            CreatedAt = T0,
            UpdatedAt = T0,
        };

        Assert.Null(await Store.GetScheduleAsync(_tenant, "nightly", default));
        await Store.SaveScheduleAsync(Schedule("nightly", T0.AddSeconds(5)), default);
        var fired = Schedule("nightly", T0.AddSeconds(10)) with { LastOccurrence = T0.AddSeconds(5), LastJobId = _ids.Next(), UpdatedAt = T0.AddSeconds(6) };
        await Store.SaveScheduleAsync(fired, default);

        var read = (await Store.GetScheduleAsync(_tenant, "nightly", default))!;
        Assert.Equal(fired with { Definition = read.Definition }, read);
        Assert.Equal(fired.Definition with { Payload = read.Definition.Payload }, read.Definition);
        Assert.Equal(fired.Definition.Payload, read.Definition.Payload);

        // A pause is saved with the rest, and so is its end.
        var paused = fired with { NextOccurrence = null, PausedAt = T0.AddSeconds(7) };
        await Store.SaveScheduleAsync(paused, default);
        var readPaused = (await Store.GetScheduleAsync(_tenant, "nightly", default))!;
        Assert.Equal(((DateTimeOffset?)null, (DateTimeOffset?)T0.AddSeconds(7)), (readPaused.NextOccurrence, readPaused.PausedAt));
        await Store.SaveScheduleAsync(fired, default);
        Assert.Null((await Store.GetScheduleAsync(_tenant, "nightly", default))!.PausedAt);

        foreach (var id in new[] { "a-1", "b.2", "c_3" })
        {
            await Store.SaveScheduleAsync(Schedule(id, null), default);
        }

        var first = await Store.ListSchedulesAsync(_tenant, 2, null, default);
        Assert.Equal(["a-1", "b.2"], first.Items.Select(s => s.Definition.Id));
        var second = await Store.ListSchedulesAsync(_tenant, 2, first.NextCursor, default);
        Assert.Equal(["c_3", "nightly"], second.Items.Select(s => s.Definition.Id));
        Assert.Null(second.NextCursor);
        Assert.Contains((_tenant, "nightly"), await Store.ListScheduleKeysAsync(default));

        Assert.True(await Store.DeleteScheduleAsync(_tenant, "nightly", default));
        Assert.False(await Store.DeleteScheduleAsync(_tenant, "nightly", default));
        Assert.Null(await Store.GetScheduleAsync(_tenant, "nightly", default));
    }
}
