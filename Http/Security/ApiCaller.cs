using OrleansJobs.Security;

namespace OrleansJobs.Http.Security;

/// <summary>Who is calling: the key's tenant (null for an admin) and role.</summary>
internal sealed record ApiCaller(string KeyId, string? Tenant, ApiKeyRole Role)
{
    /// <summary>Whether this caller may act on <paramref name="tenant"/>'s resources in <paramref name="role"/> or above.</summary>
    public bool May(string tenant, ApiKeyRole role) => Role == ApiKeyRole.Admin || (Tenant == tenant && Role >= role);
}
