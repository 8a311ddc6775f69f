using OrleansJobs.Storage.Sqlite;

namespace OrleansJobs.Tests.Unit;

public sealed class LocalReminderTableTests
{
    private static ReminderEntry Entry(string grain, string name) => new()
    {
        GrainId = GrainId.Create("queue", grain),
        ReminderName = name,
        StartAt = DateTime.UtcNow,
        Period = TimeSpan.FromMinutes(1),
    };

    [Fact]
    public async Task Rows_are_upserted_read_by_grain_and_range_and_removed_only_with_their_current_etag()
    {
        var table = new LocalReminderTable();
        var first = await table.UpsertRow(Entry("acme/email", "keep-alive"));
        var second = await table.UpsertRow(Entry("acme/email", "keep-alive"));
        await table.UpsertRow(Entry("globex/pdf", "keep-alive"));
        Assert.NotEqual(first, second);

        var grain = GrainId.Create("queue", "acme/email");
        Assert.Equal(second, (await table.ReadRow(grain, "keep-alive"))!.ETag);
        Assert.Single((await table.ReadRows(grain)).Reminders);
        Assert.Equal(2, (await table.ReadRows(0, 0)).Reminders.Count);

        var hash = grain.GetUniformHashCode();
        Assert.Contains((await table.ReadRows(hash - 1, hash)).Reminders, r => r.GrainId == grain);
        Assert.DoesNotContain((await table.ReadRows(hash, hash + 1)).Reminders, r => r.GrainId == grain);

        Assert.False(await table.RemoveRow(grain, "keep-alive", first!));
        Assert.True(await table.RemoveRow(grain, "keep-alive", second!));
        Assert.Null(await table.ReadRow(grain, "keep-alive"));
    }

    [Theory]
    [InlineData(5u, 10u, 10u, true)]
    [InlineData(5u, 10u, 5u, false)]
    [InlineData(4_000_000_000u, 10u, 1u, true)]
    [InlineData(4_000_000_000u, 10u, 4_000_000_001u, true)]
    [InlineData(4_000_000_000u, 10u, 20u, false)]
    [InlineData(7u, 7u, 123u, true)]
    public void Ring_ranges_are_open_at_the_start_closed_at_the_end_and_wrap(uint begin, uint end, uint hash, bool inside) =>
        Assert.Equal(inside, LocalReminderTable.InRange(hash, begin, end));
}
