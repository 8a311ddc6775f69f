namespace OrleansJobs.Grains;

/// <summary>
/// The single owner of one recurring job, keyed "tenant/schedule": Orleans keeps one activation of
/// it in the cluster, so each occurrence is enqueued by one place, and its idempotency key makes
/// even a duplicate activation harmless.
/// </summary>
[Alias("OrleansJobs.IScheduleGrain")]
public interface IScheduleGrain : IGrainWithStringKey
{
    /// <summary>Creates or replaces the schedule; it fires from its next occurrence after now.</summary>
    [Alias("Upsert")]
    Task<ScheduleInfo> UpsertAsync(RecurringJob schedule);

    /// <summary>The schedule, or null when there is none.</summary>
    [Alias("Get")]
    Task<ScheduleInfo?> GetAsync();

    /// <summary>Deletes the schedule; false when there was none. Jobs it already enqueued stay.</summary>
    [Alias("Delete")]
    Task<bool> DeleteAsync();

    /// <summary>
    /// Pauses the schedule (it enqueues nothing until resumed) or resumes it (from its next occurrence
    /// after now; the ones skipped are not made up). Stored. Null when there is no such schedule.
    /// </summary>
    [Alias("SetPaused")]
    Task<ScheduleInfo?> SetPausedAsync(bool paused);

    /// <summary>Enqueues any occurrence that is due and arms the timer for the next (restart, dead silo).</summary>
    [Alias("Wake")]
    Task WakeAsync();
}
