namespace OrleansJobs.Security;

/// <summary>What an HTTP API key may do.</summary>
public enum ApiKeyRole
{
    /// <summary>Enqueue, read and cancel its tenant's jobs.</summary>
    Producer = 0,

    /// <summary>Everything a producer may, plus its tenant's dead letters, queue stats and policies, and schedules.</summary>
    Operator = 1,

    /// <summary>Everything, for every tenant, plus keys and cluster-wide views.</summary>
    Admin = 2,
}

/// <summary>An API key as stored: never its secret, only the secret's SHA-256.</summary>
public sealed record ApiKeyRecord(string Id, string? Tenant, ApiKeyRole Role, string Name, byte[] SecretHash, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt);

/// <summary>Where API keys are kept: the job store's <c>api_keys</c> table.</summary>
public interface IApiKeyStore
{
    /// <summary>Stores a new key.</summary>
    Task CreateApiKeyAsync(ApiKeyRecord key, CancellationToken cancellationToken);

    /// <summary>The key with this id, revoked or not, or null.</summary>
    Task<ApiKeyRecord?> GetApiKeyAsync(string id, CancellationToken cancellationToken);

    /// <summary>Every key of one tenant, or every key when <paramref name="tenant"/> is null, oldest first.</summary>
    Task<IReadOnlyList<ApiKeyRecord>> ListApiKeysAsync(string? tenant, CancellationToken cancellationToken);

    /// <summary>Revokes the key; false when there is no such live key.</summary>
    Task<bool> RevokeApiKeyAsync(string id, DateTimeOffset now, CancellationToken cancellationToken);
}
