using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using Orleans.Runtime.Services;
using Orleans.Services;

namespace OrleansJobs.Execution;

/// <summary>
/// Every silo's door to its worker pool for attempts leased elsewhere, and for the outcomes of the
/// attempts it sent away. One instance per silo (a grain service), addressed by silo.
/// </summary>
internal interface IJobRunnerService : IGrainService
{
    /// <summary>Takes the attempt into this silo's worker pool; returns once accepted, not when it ends.</summary>
    Task StartAsync(RemoteRun run);

    /// <summary>An attempt this silo sent away has ended.</summary>
    Task ReportAsync(RemoteOutcome outcome);

    /// <summary>Fires the handler's token of an attempt this silo took in; a no-op once it ended.</summary>
    Task CancelAsync(JobId id, long lease);

    /// <summary>This silo's slots, room, queues and pace now, for the silos page.</summary>
    Task<SiloReport> DescribeAsync();
}

/// <summary>Finds the <see cref="IJobRunnerService"/> of a given silo.</summary>
internal interface IJobRunnerClient : IGrainServiceClient<IJobRunnerService>
{
    IJobRunnerService On(SiloAddress silo);
}

internal sealed class JobRunnerClient(IServiceProvider services) : GrainServiceClient<IJobRunnerService>(services), IJobRunnerClient
{
    public IJobRunnerService On(SiloAddress silo) => GetGrainService(silo);
}

/// <summary>The grain-service shell; <see cref="JobDispatcher"/> does the work.</summary>
[Reentrant]
internal sealed class JobRunnerService(
    GrainId grainId, Silo silo, ILoggerFactory loggerFactory, JobDispatcher dispatcher, JobExecutor executor, WorkerRoom room, Diagnostics.QueueGauges gauges)
    : GrainService(grainId, silo, loggerFactory), IJobRunnerService
{
    public Task StartAsync(RemoteRun run)
    {
        dispatcher.Accept(run);
        return Task.CompletedTask;
    }

    public Task ReportAsync(RemoteOutcome outcome)
    {
        dispatcher.Complete(outcome);
        return Task.CompletedTask;
    }

    public Task CancelAsync(JobId id, long lease)
    {
        dispatcher.CancelAccepted(id, lease);
        return Task.CompletedTask;
    }

    public Task<SiloReport> DescribeAsync() => Task.FromResult(SiloReport.Now(executor, room, gauges));
}
