namespace OrleansJobs;

/// <summary>
/// A job was refused at the edge and nothing was stored. <see cref="Field"/> names the input at
/// fault (for example <c>tenant</c>, <c>payload</c>, <c>options.delay</c>); <see cref="Code"/> is a
/// stable machine-readable reason.
/// </summary>
[GenerateSerializer]
public class JobValidationException : ArgumentException
{
    /// <summary>Creates the error for <paramref name="field"/>.</summary>
    public JobValidationException(string field, string code, string message)
        : base($"{field}: {message}")
    {
        Field = field;
        Code = code;
    }

    /// <summary>The input at fault.</summary>
    [Id(0)] public string Field { get; }

    /// <summary>A stable reason such as <c>invalid_name</c>, <c>too_large</c> or <c>unknown_job_type</c>.</summary>
    [Id(1)] public string Code { get; }
}

/// <summary>The job type has no handler registered on the silo.</summary>
[GenerateSerializer]
public sealed class UnknownJobTypeException : JobValidationException
{
    /// <summary>Creates the error for <paramref name="jobType"/>.</summary>
    public UnknownJobTypeException(string jobType)
        : base("jobType", "unknown_job_type", $"no handler is registered for job type '{jobType}'.")
    {
        JobType = jobType;
    }

    /// <summary>The job type that was asked for.</summary>
    [Id(0)] public string JobType { get; }
}
