namespace OrleansJobs;

/// <summary>
/// The job store could not commit the enqueue, so the job was not acknowledged. Retry later; pass
/// an idempotency key if a retry must not create a second job when the failed commit had in fact
/// gone through.
/// </summary>
[GenerateSerializer]
public sealed class JobStoreUnavailableException : Exception
{
    /// <summary>Creates the error.</summary>
    public JobStoreUnavailableException(string message)
        : base(message)
    {
    }
}
