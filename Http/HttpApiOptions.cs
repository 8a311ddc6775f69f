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
}
