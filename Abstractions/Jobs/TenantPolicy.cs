namespace OrleansJobs;

/// <summary>
/// Limits that span all of one tenant's queues. Set as an override where a null field inherits the
/// silo's default; read back as the effective policy, where null means "no limit".
/// </summary>
[GenerateSerializer, Immutable]
public sealed record TenantPolicy
{
    /// <summary>Most of the tenant's jobs running at once, across all its queues and the whole cluster; 1 to 100 000.</summary>
    [Id(0)] public int? MaxInFlight { get; init; }
}
