namespace OrleansJobs;

/// <summary>Thrown by a handler to dead-letter the job at once: retrying cannot help.</summary>
public class NonRetryableJobException : Exception
{
    /// <summary>Creates the exception.</summary>
    public NonRetryableJobException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}

/// <summary>The payload could not be turned into the handler's payload type; the job is dead-lettered without retry.</summary>
public sealed class JobPayloadException(string message, Exception inner) : Exception(message, inner);

/// <summary>The attempt ran past its timeout, or past the grace after it for handlers that ignore cancellation.</summary>
public sealed class JobTimeoutException(string message) : TimeoutException(message);

/// <summary>
/// A job's attempts started but never reported back, so many times that it used up its attempts
/// (its silo died each time, as a poison job that crashes the process would make it).
/// </summary>
public sealed class JobAttemptsLostException(int lost)
    : Exception($"{lost} attempt(s) started but never reported back (silo crash or lost lease); not retrying.");

/// <summary>A person cancelled the job while it ran: its handler stopped, or was abandoned for ignoring the request.</summary>
public sealed class JobCancelledException(string message) : OperationCanceledException(message);
