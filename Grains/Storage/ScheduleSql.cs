namespace OrleansJobs.Storage;

/// <summary>What both stores share about reading schedules.</summary>
internal static class ScheduleSql
{
    /// <summary>Cuts a page read with one row too many: that extra row only says a next page exists.</summary>
    public static SchedulePage Page(List<ScheduleInfo> rows, int pageSize) =>
        rows.Count > pageSize
            ? new SchedulePage(rows[..pageSize], rows[pageSize - 1].Definition.Id)
            : new SchedulePage(rows, null);
}
