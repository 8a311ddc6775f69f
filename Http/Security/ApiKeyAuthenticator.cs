using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using OrleansJobs.Security;

namespace OrleansJobs.Http.Security;

/// <summary>Turns the key a request presents into a caller, or null. Checked keys are cached briefly.</summary>
internal sealed class ApiKeyAuthenticator(IApiKeyStore keys, IOptions<HttpApiOptions> options, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, (ApiCaller? Caller, DateTimeOffset Until)> _cache = new();
    private readonly byte[]? _adminHash = options.Value.AdminKey is { Length: >= 32 } admin ? ApiKeySecrets.Hash(admin) : null;

    public async ValueTask<ApiCaller?> AuthenticateAsync(string? presented, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(presented))
        {
            return null;
        }

        if (_adminHash is not null && ApiKeySecrets.Matches(presented, _adminHash))
        {
            return new ApiCaller("configured-admin", null, ApiKeyRole.Admin);
        }

        if (!ApiKeySecrets.TryParse(presented, out var id, out var secret))
        {
            return null;
        }

        var now = time.GetUtcNow();
        if (_cache.TryGetValue(presented, out var cached) && cached.Until > now)
        {
            return cached.Caller;
        }

        var record = await keys.GetApiKeyAsync(id, cancellationToken);
        var caller = record is { RevokedAt: null } && ApiKeySecrets.Matches(secret, record.SecretHash)
            ? new ApiCaller(record.Id, record.Tenant, record.Role)
            : null;

        // Only valid keys are cached: a flood of made-up keys must not grow memory.
        if (caller is not null)
        {
            _cache[presented] = (caller, now + options.Value.KeyCacheDuration);
        }

        return caller;
    }

    /// <summary>Forgets a revoked key at once on this silo (others within the cache duration).</summary>
    public void Forget(string keyId)
    {
        foreach (var entry in _cache)
        {
            if (entry.Value.Caller?.KeyId == keyId)
            {
                _cache.TryRemove(entry.Key, out _);
            }
        }
    }
}
