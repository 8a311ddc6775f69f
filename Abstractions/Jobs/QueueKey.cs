namespace OrleansJobs;

/// <summary>Names one queue: a (tenant, job type) pair. Its text form "tenant/type" is the queue grain's key.</summary>
[GenerateSerializer, Immutable]
public readonly record struct QueueKey([property: Id(0)] string Tenant, [property: Id(1)] string JobType)
{
    /// <summary>Parses "tenant/type", validating both names.</summary>
    public static QueueKey Parse(string text)
    {
        var slash = text.IndexOf('/');
        var key = slash < 0 ? new QueueKey(text, "") : new QueueKey(text[..slash], text[(slash + 1)..]);
        JobValidator.ValidateName(key.Tenant, "tenant");
        JobValidator.ValidateName(key.JobType, "jobType");
        return key;
    }

    /// <inheritdoc />
    public override string ToString() => $"{Tenant}/{JobType}";
}
