using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using OrleansJobs.Diagnostics;
using OrleansJobs.Grains;
using OrleansJobs.Storage;

namespace OrleansJobs.Hosting;

/// <summary>
/// Prepares the store before any grain runs, and once the silo is active wakes every queue that
/// has pending work: reminders bring queues back in a cluster, but the embedded silo's in-memory
/// reminders are gone after a restart, so the store is the source of truth.
/// </summary>
internal sealed partial class JobStoreLifecycle(IJobStore store, IGrainFactory grains, ILogger<JobStoreLifecycle> logger)
    : ILifecycleParticipant<ISiloLifecycle>
{
    private readonly CancellationTokenSource _stopping = new();

    public void Participate(ISiloLifecycle lifecycle)
    {
        lifecycle.Subscribe(nameof(JobStoreLifecycle), ServiceLifecycleStage.RuntimeInitialize, store.InitializeAsync);
        lifecycle.Subscribe(
            nameof(JobStoreLifecycle),
            ServiceLifecycleStage.Active,
            (CancellationToken ct) =>
            {
                _ = Task.Run(() => WakePendingQueuesAsync(_stopping.Token));
                return Task.CompletedTask;
            },
            (CancellationToken ct) =>
            {
                _stopping.Cancel();
                return Task.CompletedTask;
            });
    }

    private async Task WakePendingQueuesAsync(CancellationToken cancellationToken)
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
                LogQueuesWoken(queues.Count);
                return;
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                LogWakeFailed(ex, attempt);
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(30, attempt * 2)), cancellationToken);
            }
        }
    }

    [LoggerMessage(EventId = (int)LogEvents.QueuesWoken, Level = LogLevel.Information, Message = "Woke {Count} queue(s) with pending work")]
    private partial void LogQueuesWoken(int count);

    [LoggerMessage(EventId = (int)LogEvents.WakeFailed, Level = LogLevel.Warning, Message = "Waking queues with pending work failed (attempt {Attempt}); retrying")]
    private partial void LogWakeFailed(Exception exception, int attempt);
}
