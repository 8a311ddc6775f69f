namespace OrleansJobs.Storage;

/// <summary>
/// Where jobs live: one row per job. Writes on the hot path go through
/// <see cref="IQueueWriteStore.WriteAsync"/> so many callers share one transaction; every state change after an
/// attempt starts names the attempt's lease and is refused when that lease is stale.
/// Implementations pass the contract tests in <c>Grains.Tests/Storage/Contract/</c>. Internal to the
/// grid, and split by who uses it: grains, endpoints and services depend on the parts they use.
/// </summary>
internal interface IJobStore : IQueueWriteStore, IQueueReadStore, IAdminStore, IScheduleStore, IMaintenanceStore, IHistoryStore
{
}
