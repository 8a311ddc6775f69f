using Microsoft.Extensions.Logging;
using OrleansJobs.Diagnostics;
using OrleansJobs.Queues.Core;

namespace OrleansJobs.Queues;

/// <summary>What one queue activation logs, for the grain and the carrier of its commands alike.</summary>
internal sealed partial class QueueLog(ILogger logger, QueueKey queue, StoreOutageLog storeOutage)
{
    private readonly ILogger _logger = logger;

    /// <summary>Through the silo's outage log: one line per outage, not a stack trace per failed call.</summary>
    public void StoreError(Exception exception, string operation) => storeOutage.Report(exception, $"Queue {queue}", operation);

    public void Recovered(int count) => LogRecovered(queue.Tenant, queue.JobType, count);

    public void LeasesExpired(int count) => LogLeasesExpired(queue.Tenant, queue.JobType, count);

    public void NoHandler() => LogNoHandler(queue.Tenant, queue.JobType);

    public void PolicyChanged(string policy) => LogPolicyChanged(queue.Tenant, queue.JobType, policy);

    public void PauseChanged(bool paused) => LogPauseChanged(queue.Tenant, queue.JobType, paused ? "paused: it takes jobs and starts none" : "resumed");

    public void BreakerMoved(BreakerChange change)
    {
        if (change.Key is { } key)
        {
            if (change.State == BreakerState.Open)
            {
                LogKeyBreakerOpened(queue.Tenant, queue.JobType, key, change.Failures, change.Attempts, change.OpenUntil!.Value);
            }
            else
            {
                LogKeyBreakerMoved(queue.Tenant, queue.JobType, key, change.State == BreakerState.HalfOpen ? "half-open: its probes run" : "closed: its attempts start again");
            }

            return;
        }

        if (change.State == BreakerState.Open)
        {
            LogBreakerOpened(queue.Tenant, queue.JobType, change.Failures, change.Attempts, change.OpenUntil!.Value);
        }
        else
        {
            LogBreakerMoved(queue.Tenant, queue.JobType, change.State == BreakerState.HalfOpen ? "half-open: its probes run" : "closed: its attempts start again");
        }
    }

    public void Draining(int running) => LogDraining(queue.Tenant, queue.JobType, running);

    public void DrainIncomplete(int running) => LogDrainIncomplete(queue.Tenant, queue.JobType, running);

    public void PermitSyncFailed(Exception error) => LogPermitSyncFailed(error, queue.Tenant, queue.JobType);

    [LoggerMessage(EventId = (int)LogEvents.QueueRecovered, Level = LogLevel.Warning, Message = "Queue {Tenant}/{JobType}: {Count} attempt(s) of a previous owner requeued to run again")]
    private partial void LogRecovered(string tenant, string jobType, int count);

    [LoggerMessage(EventId = (int)LogEvents.LeasesExpired, Level = LogLevel.Warning, Message = "Queue {Tenant}/{JobType}: {Count} expired lease(s) requeued")]
    private partial void LogLeasesExpired(string tenant, string jobType, int count);

    [LoggerMessage(EventId = (int)LogEvents.NoHandler, Level = LogLevel.Warning, Message = "Queue {Tenant}/{JobType} has no handler on this silo; its jobs wait until one is registered")]
    private partial void LogNoHandler(string tenant, string jobType);

    [LoggerMessage(EventId = (int)LogEvents.PolicyChanged, Level = LogLevel.Information, Message = "Queue {Tenant}/{JobType} policy is now {Policy}")]
    private partial void LogPolicyChanged(string tenant, string jobType, string policy);

    [LoggerMessage(EventId = (int)LogEvents.QueuePauseChanged, Level = LogLevel.Information, Message = "Queue {Tenant}/{JobType} {State}")]
    private partial void LogPauseChanged(string tenant, string jobType, string state);

    [LoggerMessage(EventId = (int)LogEvents.BreakerOpened, Level = LogLevel.Warning, Message = "Queue {Tenant}/{JobType} circuit breaker opened: {Failures} of its last {Attempts} attempts failed; it starts nothing until {OpenUntil:O}, and jobs wait without spending attempts")]
    private partial void LogBreakerOpened(string tenant, string jobType, int failures, int attempts, DateTimeOffset openUntil);

    [LoggerMessage(EventId = (int)LogEvents.BreakerMoved, Level = LogLevel.Information, Message = "Queue {Tenant}/{JobType} circuit breaker {State}")]
    private partial void LogBreakerMoved(string tenant, string jobType, string state);

    [LoggerMessage(EventId = (int)LogEvents.KeyBreakerOpened, Level = LogLevel.Warning, Message = "Queue {Tenant}/{JobType} partition {PartitionKey} circuit breaker opened: {Failures} of its last {Attempts} attempts failed; the key starts nothing until {OpenUntil:O}, and its jobs wait without spending attempts")]
    private partial void LogKeyBreakerOpened(string tenant, string jobType, string partitionKey, int failures, int attempts, DateTimeOffset openUntil);

    [LoggerMessage(EventId = (int)LogEvents.KeyBreakerMoved, Level = LogLevel.Information, Message = "Queue {Tenant}/{JobType} partition {PartitionKey} circuit breaker {State}")]
    private partial void LogKeyBreakerMoved(string tenant, string jobType, string partitionKey, string state);

    [LoggerMessage(EventId = (int)LogEvents.Draining, Level = LogLevel.Information, Message = "Queue {Tenant}/{JobType} deactivating: waiting for {Running} running job(s)")]
    private partial void LogDraining(string tenant, string jobType, int running);

    [LoggerMessage(EventId = (int)LogEvents.DrainIncomplete, Level = LogLevel.Warning, Message = "Queue {Tenant}/{JobType} deactivated with {Running} job(s) still running; they run again on the next owner")]
    private partial void LogDrainIncomplete(string tenant, string jobType, int running);

    [LoggerMessage(EventId = (int)LogEvents.PermitSyncFailed, Level = LogLevel.Warning, Message = "Queue {Tenant}/{JobType} could not reach its tenant for permits; starting nothing until it does")]
    private partial void LogPermitSyncFailed(Exception error, string tenant, string jobType);
}
