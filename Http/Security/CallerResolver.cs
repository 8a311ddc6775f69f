using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using OrleansJobs.Security;

namespace OrleansJobs.Http.Security;

/// <summary>
/// Who is calling: the holder of an API key, or a user the host signed in with one of its own schemes
/// and <see cref="HttpApiOptions.MapUser"/> gave a tenant and role. Null when neither.
/// </summary>
internal sealed class CallerResolver(ApiKeyAuthenticator keys, IOptions<HttpApiOptions> options)
{
    private readonly HttpApiOptions _options = options.Value;

    /// <summary>For the JSON API: a key in <c>Authorization: Bearer</c> or <c>X-Api-Key</c> first, else a host user.</summary>
    public async ValueTask<ApiCaller?> FromRequestAsync(HttpContext http)
    {
        var presented = http.Request.Headers.Authorization.ToString() is { } auth && auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
            ? auth["Bearer ".Length..].Trim()
            : http.Request.Headers["X-Api-Key"].ToString();
        if (!string.IsNullOrEmpty(presented) && await keys.AuthenticateAsync(presented, http.RequestAborted) is { } holder)
        {
            return holder;
        }

        foreach (var scheme in _options.HostAuthenticationSchemes)
        {
            var result = await http.AuthenticateAsync(scheme);
            if (result.Succeeded && FromHostUser(result.Principal) is { } user)
            {
                return user;
            }
        }

        return null;
    }

    /// <summary>For the pages: the principal the authorization policy authenticated.</summary>
    public ApiCaller? FromUser(ClaimsPrincipal user)
    {
        if (user.Identities.FirstOrDefault(i => i.IsAuthenticated && i.AuthenticationType == ApiKeyAuthenticationHandler.SchemeName) is { } key
            && Enum.TryParse<ApiKeyRole>(key.FindFirst(ClaimTypes.Role)?.Value, out var role))
        {
            return new ApiCaller(key.FindFirst(ClaimTypes.NameIdentifier)!.Value, key.FindFirst(ApiKeyAuthenticationHandler.TenantClaim)?.Value, role);
        }

        return FromHostUser(user);
    }

    private ApiCaller? FromHostUser(ClaimsPrincipal user)
    {
        if (_options.MapUser is not { } map || user.Identity?.IsAuthenticated != true || map(user) is not { } access)
        {
            return null;
        }

        if (access.Role == ApiKeyRole.Admin)
        {
            return new ApiCaller($"user:{user.Identity.Name}", null, ApiKeyRole.Admin);
        }

        return JobValidator.IsValidName(access.Tenant) ? new ApiCaller($"user:{user.Identity.Name}", access.Tenant, access.Role) : null;
    }
}
