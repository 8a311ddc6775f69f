using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OrleansJobs.Diagnostics;
using OrleansJobs.Execution;
using OrleansJobs.Handlers;
using OrleansJobs.Hosting;
using OrleansJobs.Maintenance;
using OrleansJobs.Storage;

namespace Orleans.Hosting;

/// <summary>Adds the job grid to a silo.</summary>
public static class OrleansJobsSiloBuilderExtensions
{
    /// <summary>
    /// Adds the job grid: queue grains, the group-commit writer, the handler executor and a co-hosted
    /// <see cref="OrleansJobs.IJobClient"/>. Choose a store (e.g. <c>UseSqliteStore</c>) and add
    /// handlers on the returned builder. Calling it again only applies <paramref name="configure"/>.
    /// </summary>
    public static OrleansJobsBuilder AddOrleansJobs(this ISiloBuilder builder, Action<OrleansJobsOptions>? configure = null)
    {
        var services = builder.Services;
        var options = services.AddOptions<OrleansJobsOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        if (services.Any(d => d.ServiceType == typeof(JobWriteBatcher)))
        {
            return new OrleansJobsBuilder(builder);
        }

        options.Validate(o =>
        {
            o.Validate();
            return true;
        });
        services.AddMetrics();
        builder.AddIncomingGrainCallFilter<StoreErrorBoundary>();
        // A queue waits up to ShutdownDrainTimeout for its running jobs while it deactivates; Orleans must
        // give it longer than that, or it cancels the wait itself and logs the orderly drain as a failure.
        services.AddOptions<Orleans.Configuration.GrainCollectionOptions>().Configure<IOptions<OrleansJobsOptions>>((collection, jobs) =>
        {
            var needed = jobs.Value.ShutdownDrainTimeout + TimeSpan.FromSeconds(10);
            if (collection.DeactivationTimeout < needed)
            {
                collection.DeactivationTimeout = needed;
            }
        });
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new OrleansJobs.JobIdGenerator(sp.GetRequiredService<TimeProvider>()));
        services.TryAddKeyedSingleton(OrleansJobs.Schedules.ScheduleGrain.ClockKey, static (sp, _) => sp.GetRequiredService<TimeProvider>());
        services.TryAddKeyedSingleton(OrleansJobs.Queues.QueueGrain.ClockKey, static (sp, _) => sp.GetRequiredService<TimeProvider>());
        services.TryAddSingleton<JobTypeRegistry>();
        services.TryAddSingleton<JobWriteBatcher>();
        services.TryAddSingleton<JobExecutor>();
        services.TryAddSingleton<JobDispatcher>();
        services.TryAddSingleton<WorkerRoom>();
        services.TryAddSingleton<OrleansJobs.Queues.QueueSiloServices>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<JobDispatcher>());
        services.TryAddSingleton<IJobRunnerClient, JobRunnerClient>();
        services.TryAddSingleton<SiloDirectory>();
        builder.AddGrainService<JobRunnerService>();
        services.TryAddSingleton<QueueGauges>();
        services.TryAddSingleton<QueueTally>();
        services.TryAddSingleton<JobsMetrics>();
        services.TryAddSingleton<StoreOutageLog>();
        services.TryAddSingleton<IJobStore>(_ => throw new InvalidOperationException("No job store is configured: call UseSqliteStore() (or another store) on the builder AddOrleansJobs returns."));
        // Both stores keep the HTTP API's keys too.
        services.TryAddSingleton<IQueueWriteStore>(sp => sp.GetRequiredService<IJobStore>());
        services.TryAddSingleton<IQueueReadStore>(sp => sp.GetRequiredService<IJobStore>());
        services.TryAddSingleton<IAdminStore>(sp => sp.GetRequiredService<IJobStore>());
        services.TryAddSingleton<IScheduleStore>(sp => sp.GetRequiredService<IJobStore>());
        services.TryAddSingleton<IMaintenanceStore>(sp => sp.GetRequiredService<IJobStore>());
        services.TryAddSingleton<IHistoryStore>(sp => sp.GetRequiredService<IJobStore>());
        services.TryAddSingleton(sp => (OrleansJobs.Security.IApiKeyStore)sp.GetRequiredService<IJobStore>());
        services.TryAddSingleton(sp => (OrleansJobs.Security.IDataProtectionKeyStore)sp.GetRequiredService<IJobStore>());
        services.AddSingleton<PendingQueueWaker>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, JobStoreLifecycle>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, DeadSiloRecovery>();
        services.TryAddSingleton<QueueHistoryRecorder>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<QueueHistoryRecorder>());
        services.AddOrleansJobsClient();
        // The co-hosted client checks with the silo's own limits.
        services.AddOptions<OrleansJobs.JobClientOptions>().Configure<IOptions<OrleansJobsOptions>>((client, silo) => client.Limits = silo.Value.Limits);
        return new OrleansJobsBuilder(builder);
    }
}
