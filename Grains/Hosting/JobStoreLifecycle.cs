using Orleans.Runtime;
using OrleansJobs.Maintenance;
using OrleansJobs.Storage;

namespace OrleansJobs.Hosting;

/// <summary>
/// Prepares the store before any grain runs, and once the silo is active wakes every queue that
/// has pending work: reminders bring queues back in a cluster, but the embedded silo's in-memory
/// reminders are gone after a restart, so the store is the source of truth.
/// </summary>
internal sealed class JobStoreLifecycle(IMaintenanceStore store, PendingQueueWaker waker) : ILifecycleParticipant<ISiloLifecycle>
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
                _ = Task.Run(() => waker.WakeAllAsync("silo started", _stopping.Token));
                return Task.CompletedTask;
            },
            (CancellationToken ct) =>
            {
                _stopping.Cancel();
                return Task.CompletedTask;
            });
    }
}
