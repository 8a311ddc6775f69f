namespace OrleansJobs;

/// <summary>
/// Runs jobs of one type. Resolved from a DI scope per attempt. Return to succeed; throw to fail
/// the attempt (it is retried with backoff unless the exception is non-retryable or attempts are
/// used up). Delivery is at least once: make the work idempotent, e.g. keyed on <see cref="JobContext.JobId"/>.
/// </summary>
/// <typeparam name="TPayload">The payload type, deserialized from the job's JSON.</typeparam>
public interface IJobHandler<in TPayload>
{
    /// <summary>Does the job's work. Observe <see cref="JobContext.CancellationToken"/>: it fires on timeout and shutdown.</summary>
    Task HandleAsync(TPayload payload, JobContext context);
}

/// <summary>What a handler knows about the attempt it runs.</summary>
public sealed class JobContext
{
    internal JobContext(JobId jobId, string tenant, string jobType, int attempt, int maxAttempts, DateTimeOffset createdAt, CancellationToken cancellationToken)
    {
        JobId = jobId;
        Tenant = tenant;
        JobType = jobType;
        Attempt = attempt;
        MaxAttempts = maxAttempts;
        CreatedAt = createdAt;
        CancellationToken = cancellationToken;
    }

    /// <summary>The job's id; the same on every attempt.</summary>
    public JobId JobId { get; }

    /// <summary>The tenant that owns the job.</summary>
    public string Tenant { get; }

    /// <summary>The job type.</summary>
    public string JobType { get; }

    /// <summary>This attempt's number, 1 for the first.</summary>
    public int Attempt { get; }

    /// <summary>Attempts allowed before the job is dead-lettered.</summary>
    public int MaxAttempts { get; }

    /// <summary>When the job was enqueued.</summary>
    public DateTimeOffset CreatedAt { get; }

    /// <summary>Fires when the attempt times out or the job is abandoned.</summary>
    public CancellationToken CancellationToken { get; }
}
