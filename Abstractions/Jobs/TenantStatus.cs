namespace OrleansJobs;

/// <summary>A tenant at a glance: whether a person paused it, and its in-flight cap.</summary>
[GenerateSerializer, Immutable]
public sealed record TenantStatus
{
    /// <summary>The tenant.</summary>
    [Id(0)] public required string Tenant { get; init; }

    /// <summary>A person paused the tenant: all its queues take jobs and start none until it is resumed.</summary>
    [Id(1)] public bool Paused { get; init; }

    /// <summary>Since when it is paused; null when it runs.</summary>
    [Id(2)] public DateTimeOffset? PausedAt { get; init; }

    /// <summary>Most of its jobs running at once across its queues; null for no cap.</summary>
    [Id(3)] public int? MaxInFlight { get; init; }
}
