using System.Text;
using OrleansJobs.Storage;

namespace OrleansJobs.Tests.Storage;

/// <summary>
/// What every job store must do, in one file per entity (JobStoreContractTests.Jobs.cs, .Queues.cs,
/// .DeadLetters.cs, .Schedules.cs, .TenantsAndKeys.cs, .Maintenance.cs). A store's test class inherits
/// it and supplies the store; the tests use a fresh tenant each, so they may share one database.
/// </summary>
public abstract partial class JobStoreContractTests
{
    private static readonly TimeSpan Margin = TimeSpan.FromMinutes(1);
    private readonly JobIdGenerator _ids = new(TimeProvider.System);
    private readonly string _tenant = "t" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>A store whose schema is initialized.</summary>
    private protected abstract IJobStore Store { get; }

    /// <summary>A time in the stores' millisecond precision.</summary>
    protected static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.Parse("2026-01-01T00:00:00Z").ToUnixTimeMilliseconds());

    private QueueKey Queue(string type = "email.send") => new(_tenant, type);

    private NewJob NewJob(QueueKey? queue = null, JobPriority priority = JobPriority.Normal, DateTimeOffset? runAt = null, string? key = null, int maxAttempts = 3, string payload = "{\"n\":1}") =>
        new(_ids.Next(), queue ?? Queue(), Encoding.UTF8.GetBytes(payload), priority, T0, runAt ?? T0, maxAttempts, TimeSpan.FromSeconds(30), key, key is null ? null : TimeSpan.FromHours(1));

    private async Task<InsertOutcome[]> InsertAsync(params NewJob[] jobs)
    {
        var batch = new JobWriteBatch();
        batch.Inserts.AddRange(jobs);
        return (await Store.WriteAsync(batch, default)).Inserts;
    }

    private async Task<LeasedJob?> LeaseAsync(JobId id, DateTimeOffset? at = null)
    {
        var batch = new JobWriteBatch();
        batch.Leases.Add(new LeaseRequest(id, "silo-a", at ?? T0, Margin));
        return (await Store.WriteAsync(batch, default)).Leases[0];
    }

    private async Task<bool> CompleteAsync(JobId id, long lease, DateTimeOffset? at = null)
    {
        var batch = new JobWriteBatch();
        batch.Completions.Add(new Completion(id, lease, at ?? T0.AddSeconds(1)));
        return (await Store.WriteAsync(batch, default)).Completions[0];
    }

    private async Task<bool> RetryAsync(LeasedJob job, DateTimeOffset runAt, string message = "boom")
    {
        var batch = new JobWriteBatch();
        batch.Retries.Add(new Retry(job.Id, job.Lease, runAt, Error(job, message)));
        return (await Store.WriteAsync(batch, default)).Retries[0];
    }

    private async Task<bool> DeadLetterAsync(LeasedJob job, string message = "fatal")
    {
        var batch = new JobWriteBatch();
        batch.DeadLetters.Add(new DeadLetter(job.Id, job.Lease, Error(job, message)));
        return (await Store.WriteAsync(batch, default)).DeadLetters[0];
    }

    private async Task<DuePromotion> PromoteDueAsync(QueueKey queue, DateTimeOffset now, int limit)
    {
        var batch = new JobWriteBatch();
        batch.Promotions.Add(new DuePromotionRequest(queue, now, limit));
        return (await Store.WriteAsync(batch, default)).Promotions[0];
    }

    private async Task<int> RequeueAsync(ActiveRequeue requeue)
    {
        var batch = new JobWriteBatch();
        batch.Requeues.Add(requeue);
        return (await Store.WriteAsync(batch, default)).Requeues[0];
    }

    private async Task<IReadOnlyList<JobId>> ShedAsync(JobPriority above, int count, string reason)
    {
        var batch = new JobWriteBatch();
        batch.Sheds.Add(new ShedRequest(Queue(), above, count, reason, T0));
        return (await Store.WriteAsync(batch, default)).Sheds[0];
    }

    private async Task<bool> CancelAsync(string tenant, JobId id)
    {
        var batch = new JobWriteBatch();
        batch.Cancels.Add(new WaitingCancel(tenant, id, T0));
        return (await Store.WriteAsync(batch, default)).Cancels[0];
    }

    private static AttemptError Error(LeasedJob job, string message) =>
        new(job.Attempt, T0.AddSeconds(job.Attempt), "silo-a", "System.InvalidOperationException", message, $"System.InvalidOperationException: {message}\n   at Handler.Run()");
}
