namespace OrleansJobs.Queues;

/// <summary>Times as every store keeps them: to the millisecond.</summary>
internal static class StoreTime
{
    /// <summary>
    /// A due job's run-at as every store keeps it exactly, so the window orders the jobs it was
    /// offered as the store orders those it pages in, and a page read after the window's last job
    /// skips none.
    /// </summary>
    public static DateTimeOffset Floor(DateTimeOffset time) =>
        new(time.UtcTicks - (time.UtcTicks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);

    /// <summary>
    /// Stores keep times to the millisecond (or finer) by truncating; rounding a due time up first
    /// means a timer armed from the stored value after a restart can never fire early.
    /// </summary>
    public static DateTimeOffset Ceiling(DateTimeOffset time)
    {
        var ticks = time.UtcTicks;
        var rounded = (ticks + TimeSpan.TicksPerMillisecond - 1) / TimeSpan.TicksPerMillisecond * TimeSpan.TicksPerMillisecond;
        return new DateTimeOffset(rounded, TimeSpan.Zero);
    }
}
