using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using OrleansJobs.Http.Security;
using OrleansJobs.Security;
using OrleansJobs.Storage;

namespace OrleansJobs.Http.Pages;

/// <summary>
/// Builds a page's frame from the request: the signed-in caller, and the tenant it may see. An operator
/// always sees its own tenant whatever the address asks; an admin sees the one it picks, or all.
/// </summary>
internal sealed class PageFrames(CallerResolver callers, IAntiforgery antiforgery, IAdminStore store, TimeProvider time, IOptions<HttpApiOptions> options)
{
    /// <summary>How many tenants an admin's picker offers.</summary>
    private const int TenantsOffered = 200;

    public string Root => options.Value.PagesPath;

    /// <summary>The frame, or null when the caller may not see pages at all (a producer key).</summary>
    /// <exception cref="JobValidationException">The tenant asked for is not a valid name.</exception>
    public async Task<PageFrame?> ForAsync(HttpContext context, string? tenant, string? note = null, bool noteIsError = false)
    {
        if (callers.FromUser(context.User) is not { Role: not ApiKeyRole.Producer } caller)
        {
            return null;
        }

        var shown = caller.Role == ApiKeyRole.Admin ? (string.IsNullOrWhiteSpace(tenant) ? null : tenant.Trim()) : caller.Tenant;
        if (shown is not null)
        {
            JobValidator.ValidateName(shown, "tenant");
        }

        return new PageFrame(Root, caller.Role, caller.Tenant, shown, antiforgery.GetAndStoreTokens(context), time.GetUtcNow())
        {
            Tenants = caller.Role == ApiKeyRole.Admin ? await store.ListTenantsAsync(null, TenantsOffered, context.RequestAborted) : [],
            Note = note is null ? null : new PageNote(note, noteIsError),
        };
    }
}
