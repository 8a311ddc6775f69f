using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OrleansJobs.Diagnostics;
using OrleansJobs.Execution;
using OrleansJobs.Handlers;
using OrleansJobs.Hosting;
using OrleansJobs.Queues.Core;
using OrleansJobs.Storage;
using OrleansJobs.Tenants;

namespace OrleansJobs.Queues;

/// <summary>What every queue activation on the silo shares: the store, the group commit, the handlers, the room and the meters.</summary>
internal sealed class QueueSiloServices(
    IQueueWriteStore store,
    IQueueReadStore reads,
    JobWriteBatcher writes,
    JobTypeRegistry registry,
    JobDispatcher dispatcher,
    WorkerRoom workerRoom,
    JobIdGenerator ids,
    IOptions<OrleansJobsOptions> options,
    [FromKeyedServices(QueueGrain.ClockKey)] TimeProvider time,
    JobsMetrics metrics,
    QueueGauges gauges,
    ILocalSiloDetails silo,
    StoreOutageLog storeOutage)
{
    /// <summary>Only the queue's policy override is written here; every change to its jobs goes through <see cref="Writes"/>.</summary>
    public IQueueWriteStore Store { get; } = store;

    public IQueueReadStore Reads { get; } = reads;

    /// <summary>The silo's one writer of jobs.</summary>
    public JobWriteBatcher Writes { get; } = writes;

    public JobTypeRegistry Registry { get; } = registry;

    public JobDispatcher Dispatcher { get; } = dispatcher;

    public WorkerRoom WorkerRoom { get; } = workerRoom;

    public JobIdGenerator Ids { get; } = ids;

    public OrleansJobsOptions Options { get; } = options.Value;

    /// <summary>The clock queues stamp leases and sweeps with; the silo's clock unless a test replaces it.</summary>
    public TimeProvider Time { get; } = time;

    public JobsMetrics Metrics { get; } = metrics;

    public QueueGauges Gauges { get; } = gauges;

    /// <summary>The silo's address, which leases name as their owner.</summary>
    public string Owner { get; } = silo.SiloAddress.ToString();

    public StoreOutageLog StoreOutage { get; } = storeOutage;

    /// <summary>The core's settings for a queue of <paramref name="type"/> on this silo.</summary>
    public QueueCoreSettings CoreSettings(JobTypeRegistration type) => new(
        Owner, Options.WindowSize, Options.AbandonGrace + QueueKeepAlive.ReminderPeriod, Options.MinDueCheckInterval,
        TenantGrain.HoldingLifetime(Options) / 2, TimeSpan.FromSeconds(1), type.Retry, type.IsRetryable);
}
