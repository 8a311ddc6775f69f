using OrleansJobs.Queues;
using OrleansJobs.Storage;

namespace OrleansJobs.Http;

/// <summary>
/// A queue's numbers for the API's lists and the pages: from its owner, or, for a job type no silo
/// handles any more (its dead letters or waiting jobs left behind), from the store's counts alone, so one
/// such queue does not fail a whole list.
/// </summary>
internal static class QueueStatsLookup
{
    public static async Task<(QueueStats Stats, bool Handled)> GetAsync(IJobClient client, IQueueReadStore reads, QueueKey queue, DateTimeOffset now, CancellationToken cancellationToken)
    {
        try
        {
            return (await client.GetQueueStatsAsync(queue.Tenant, queue.JobType, cancellationToken), true);
        }
        catch (UnknownJobTypeException)
        {
            return (QueueNumbers.FromCounts(queue, await reads.GetQueueCountsAsync(queue, cancellationToken), now), false);
        }
    }
}
