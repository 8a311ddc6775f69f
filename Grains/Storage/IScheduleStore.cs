namespace OrleansJobs.Storage;

/// <summary>Recurring jobs: one row per schedule, its definition and where it stands. A part of <see cref="IJobStore"/>.</summary>
internal interface IScheduleStore
{
    /// <summary>The tenant's schedule, or null.</summary>
    Task<ScheduleInfo?> GetScheduleAsync(string tenant, string id, CancellationToken cancellationToken);

    /// <summary>Creates or replaces the schedule's row: definition and where it stands.</summary>
    Task SaveScheduleAsync(ScheduleInfo schedule, CancellationToken cancellationToken);

    /// <summary>Deletes the schedule; false when there was none.</summary>
    Task<bool> DeleteScheduleAsync(string tenant, string id, CancellationToken cancellationToken);

    /// <summary>The tenant's schedules in id order, after <paramref name="cursor"/>.</summary>
    Task<SchedulePage> ListSchedulesAsync(string tenant, int pageSize, string? cursor, CancellationToken cancellationToken);

    /// <summary>Every schedule's (tenant, id), to wake their owners after a restart or a dead silo.</summary>
    Task<IReadOnlyList<(string Tenant, string Id)>> ListScheduleKeysAsync(CancellationToken cancellationToken);
}
