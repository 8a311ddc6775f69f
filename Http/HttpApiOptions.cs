using System.Security.Claims;
using OrleansJobs.Security;

namespace OrleansJobs.Http;

/// <summary>Settings of the HTTP API.</summary>
public sealed class HttpApiOptions
{
    /// <summary>
    /// A secret that acts as an admin key (at least 32 characters), for bootstrapping: make tenant and
    /// admin keys with it, then keep it in a secret store or drop it. Null: only stored keys work.
    /// </summary>
    public string? AdminKey { get; set; }

    /// <summary>
    /// Serve <c>/metrics</c> without a key (for a scraper on a private network). Off by default:
    /// metric labels name tenants and job types, so scraping takes an admin key.
    /// </summary>
    public bool AnonymousMetrics { get; set; }

    /// <summary>How long a checked key is trusted before it is read again (so a revocation takes at most this long). <value>Defaults to 30 seconds.</value></summary>
    public TimeSpan KeyCacheDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Where the JSON API is mapped. <value>Defaults to <c>/v1</c>.</value></summary>
    public string ApiPath { get; set; } = "/v1";

    /// <summary>Where the jobs page is mapped (its login and actions below it). <value>Defaults to <c>/jobs</c>.</value></summary>
    public string PagesPath { get; set; } = "/jobs";

    /// <summary>Where the Prometheus metrics are served. <value>Defaults to <c>/metrics</c>.</value></summary>
    public string MetricsPath { get; set; } = "/metrics";

    /// <summary>
    /// The name of the API's own OpenAPI document, served at <c>/openapi/{name}.json</c>. The API's
    /// operations are in this document only, never in the host's. <value>Defaults to <c>orleansjobs</c>.</value>
    /// </summary>
    public string OpenApiDocumentName { get; set; } = "orleansjobs";

    /// <summary>
    /// The host's own authentication schemes (cookie, OpenID Connect, JWT bearer…) whose signed-in users
    /// may use the API and the pages without an API key, through <see cref="MapUser"/>. Empty by default:
    /// only API keys work.
    /// </summary>
    public IList<string> HostAuthenticationSchemes { get; set; } = [];

    /// <summary>
    /// Turns a user the host signed in (with one of <see cref="HostAuthenticationSchemes"/>) into a
    /// tenant and role, as an API key would carry them; null refuses the user.
    /// </summary>
    public Func<ClaimsPrincipal, OrleansJobsAccess?>? MapUser { get; set; }

    internal void Validate()
    {
        foreach (var (name, path) in new[] { (nameof(ApiPath), ApiPath), (nameof(PagesPath), PagesPath), (nameof(MetricsPath), MetricsPath) })
        {
            if (string.IsNullOrEmpty(path) || path[0] != '/' || (path.Length > 1 && path[^1] == '/'))
            {
                throw new ArgumentException($"HttpApiOptions.{name} must start with '/' and not end with one, e.g. '/v1'; got '{path}'.");
            }
        }

        if (AdminKey is { Length: < 32 })
        {
            throw new ArgumentException("HttpApiOptions.AdminKey must be at least 32 characters when set.");
        }

        if (string.IsNullOrWhiteSpace(OpenApiDocumentName) || !OpenApiDocumentName.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            throw new ArgumentException($"HttpApiOptions.OpenApiDocumentName must be letters, digits, '-', '_' or '.'; got '{OpenApiDocumentName}'.");
        }

        if (HostAuthenticationSchemes.Count > 0 && MapUser is null)
        {
            throw new ArgumentException("HttpApiOptions.MapUser is required when HostAuthenticationSchemes are set: it says which tenant and role a host user has.");
        }
    }
}

/// <summary>What a host user may do, as an API key would say it: a tenant in a role, or no tenant as an admin.</summary>
/// <param name="Tenant">The tenant, or null for an admin.</param>
/// <param name="Role">The role within the tenant, or <see cref="ApiKeyRole.Admin"/>.</param>
public sealed record OrleansJobsAccess(string? Tenant, ApiKeyRole Role);
