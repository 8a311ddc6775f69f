namespace OrleansJobs;

/// <summary>Size limits checked when a job enters the grid.</summary>
[GenerateSerializer, Immutable]
public sealed record JobLimits
{
    /// <summary>Default payload limit: 256 KiB.</summary>
    public const int DefaultMaxPayloadBytes = 256 * 1024;

    /// <summary>Largest payload accepted, in bytes of UTF-8 JSON. <value>Defaults to 256 KiB.</value></summary>
    [Id(0)] public int MaxPayloadBytes { get; init; } = DefaultMaxPayloadBytes;

    /// <summary>Most jobs accepted in one bulk enqueue. <value>Defaults to 10 000.</value></summary>
    [Id(1)] public int MaxBatchSize { get; init; } = 10_000;

    /// <summary>Most payload bytes in one bulk enqueue. <value>Defaults to 32 MiB.</value></summary>
    [Id(2)] public long MaxBatchBytes { get; init; } = 32L * 1024 * 1024;

    /// <summary>The defaults.</summary>
    public static JobLimits Default { get; } = new();
}
