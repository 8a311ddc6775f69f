using Microsoft.Extensions.Logging;
using OrleansJobs.Diagnostics;
using OrleansJobs.Grains;
using OrleansJobs.Storage;

namespace OrleansJobs.Hosting;

/// <summary>
/// Wakes every queue that has scheduled, enqueued or active jobs in the store, so a queue whose
/// owner is gone gets a new one now (which re-runs the attempts the old owner left active),
/// rather than at its next reminder tick. Waking a live queue is a cheap no-op.
/// </summary>
internal sealed partial class PendingQueueWaker(IJobStore store, IGrainFactory grains, ILogger<PendingQueueWaker> logger)
{
    /// <summary>Wakes them all, retrying with backoff until it succeeds or <paramref name="cancellationToken"/> fires.</summary>
    public async Task WakeAllAsync(string reason, CancellationToken cancellationToken)
    {
        for (var attempt = 1; !cancellationToken.IsCancellationRequested; attempt++)
        {
            try
            {
                var queues = await store.ListQueuesWithPendingWorkAsync(cancellationToken);
                await Parallel.ForEachAsync(
                    queues,
                    new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken },
                    async (queue, _) => await grains.GetGrain<IQueueGrain>(queue.ToString()).WakeAsync());
                LogQueuesWoken(queues.Count, reason);
                return;
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                LogWakeFailed(ex, reason, attempt);
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(30, attempt * 2)), cancellationToken);
            }
        }
    }

    [LoggerMessage(EventId = (int)LogEvents.QueuesWoken, Level = LogLevel.Information, Message = "Woke {Count} queue(s) with pending work ({Reason})")]
    private partial void LogQueuesWoken(int count, string reason);

    [LoggerMessage(EventId = (int)LogEvents.WakeFailed, Level = LogLevel.Warning, Message = "Waking queues with pending work ({Reason}) failed on attempt {Attempt}; retrying")]
    private partial void LogWakeFailed(Exception exception, string reason, int attempt);
}
