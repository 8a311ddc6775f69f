using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using OrleansJobs.Diagnostics;
using OrleansJobs.Grains;
using OrleansJobs.Storage;

namespace OrleansJobs.Admin;

/// <summary>Status reads, cancellation and dead-letter actions; runs on whichever silo the caller reaches.</summary>
[StatelessWorker]
internal sealed partial class JobAdminGrain(IAdminStore store, IScheduleStore schedules, TimeProvider time, ILogger<JobAdminGrain> logger) : Grain, IJobAdminGrain
{
    public Task<JobInfo?> GetJobAsync(string tenant, JobId id) => store.GetJobAsync(tenant, id, CancellationToken.None);

    public async Task<bool> CancelAsync(string tenant, JobId id)
    {
        // The queue grain cancels: it stops a running attempt, and its in-memory window forgets a waiting job.
        var job = await store.GetJobAsync(tenant, id, CancellationToken.None);
        return job is { State: JobState.Scheduled or JobState.Enqueued or JobState.Active }
            && await GrainFactory.GetGrain<IQueueGrain>(new QueueKey(tenant, job.JobType).ToString()).CancelAsync(id);
    }

    public Task<DeadLetterPage> ListDeadLettersAsync(string tenant, DeadLetterFilter filter, int pageSize, JobId? cursor) =>
        store.ListDeadAsync(tenant, filter, pageSize, cursor, CancellationToken.None);

    public Task<SchedulePage> ListSchedulesAsync(string tenant, int pageSize, string? cursor) =>
        schedules.ListSchedulesAsync(tenant, pageSize, cursor, CancellationToken.None);

    public async Task<DeadLetteredJob?> GetDeadLetterAsync(string tenant, JobId id) =>
        await store.GetJobDetailAsync(tenant, id, CancellationToken.None) is { Job.State: JobState.Dead } detail
            ? new DeadLetteredJob { Job = detail.Job, Payload = detail.Payload, Errors = detail.Errors }
            : null;

    public async Task<bool> ReplayAsync(string tenant, JobId id) =>
        await ReplayAsync(new ReplayOne(tenant, id, time.GetUtcNow())) == 1;

    public Task<int> ReplayAsync(string tenant, DeadLetterFilter filter, int limit) => ReplayAsync(new ReplayMatching(tenant, filter, limit, time.GetUtcNow()));

    private async Task<int> ReplayAsync(DeadLetterReplay replay)
    {
        var replayed = await store.ReplayAsync(replay, CancellationToken.None);
        foreach (var job in replayed)
        {
            LogReplayed(job.Id, job.Queue.Tenant, job.Queue.JobType);
        }

        await Task.WhenAll(replayed.Select(j => j.Queue).Distinct().Select(q => GrainFactory.GetGrain<IQueueGrain>(q.ToString()).WakeAsync()));
        return replayed.Count;
    }

    [LoggerMessage(EventId = (int)LogEvents.Replayed, Level = LogLevel.Information, Message = "Job {JobId} ({Tenant}/{JobType}) replayed from the dead-letter queue")]
    private partial void LogReplayed(JobId jobId, string tenant, string jobType);
}
