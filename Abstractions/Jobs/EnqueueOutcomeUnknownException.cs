namespace OrleansJobs;

/// <summary>
/// The client sent an enqueue again and again for as long as <c>JobClientOptions.EnqueueRetryFor</c>
/// allows and never heard back: the jobs may or may not be stored. Their ids were chosen before the
/// first try, so <see cref="JobIds"/> tells which jobs to look up; none of them is stored twice.
/// </summary>
[GenerateSerializer]
public sealed class EnqueueOutcomeUnknownException : TimeoutException
{
    /// <summary>Creates the error.</summary>
    public EnqueueOutcomeUnknownException(string message, IReadOnlyList<JobId> jobIds, Exception? lastError = null)
        : base(message, lastError) => JobIds = jobIds;

    /// <summary>The ids the jobs have if they were stored, in the order they were submitted.</summary>
    [Id(0)]
    public IReadOnlyList<JobId> JobIds { get; }
}
