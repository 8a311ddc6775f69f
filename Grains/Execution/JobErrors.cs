namespace OrleansJobs.Execution;

/// <summary>A handler's exception from another silo, carried as its type name, message and text.</summary>
internal sealed class RemoteJobException(string errorType, string message, string? detail, bool retryable) : Exception(message)
{
    /// <summary>The full name of the exception the handler threw.</summary>
    public string ErrorType { get; } = errorType;

    /// <summary>What the job type's registration said on the silo that ran it.</summary>
    public bool Retryable { get; } = retryable;

    public override string ToString() => detail ?? $"{ErrorType}: {Message}";
}

/// <summary>The silo running an attempt was declared dead, or never reported back; the attempt is lost and may be retried.</summary>
internal sealed class JobRunnerLostException(string message) : Exception(message);

/// <summary>Names errors the same whether the handler threw on this silo or another.</summary>
internal static class JobErrors
{
    public static string TypeName(Exception error) =>
        error is RemoteJobException remote ? remote.ErrorType : error.GetType().FullName ?? error.GetType().Name;

    public static string ShortTypeName(Exception error)
    {
        var name = TypeName(error);
        return name[(name.LastIndexOf('.') + 1)..];
    }
}
