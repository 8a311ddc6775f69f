using System.ComponentModel;
using Microsoft.AspNetCore.Antiforgery;
using OrleansJobs.Security;

namespace OrleansJobs.Http.Pages;

/// <summary>
/// What every jobs page is drawn in: where the pages live, who is signed in, which tenant is shown (an
/// operator's own; any one an admin picks, or all), the form token, and a note from the last action.
/// Public only because Razor components are; built by the pages' endpoints, not an API to call.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed record PageFrame
{
    internal PageFrame(string root, ApiKeyRole role, string? callerTenant, string? tenant, AntiforgeryTokenSet token, DateTimeOffset now)
    {
        Root = root;
        Role = role;
        CallerTenant = callerTenant;
        Tenant = tenant;
        Token = token;
        Now = now;
    }

    /// <summary>The pages' root path, such as <c>/jobs</c>.</summary>
    public string Root { get; }

    /// <summary>The signed-in key's role.</summary>
    public ApiKeyRole Role { get; }

    /// <summary>The signed-in key's tenant; null for an admin.</summary>
    public string? CallerTenant { get; }

    /// <summary>The tenant shown; null when an admin looks at all tenants.</summary>
    public string? Tenant { get; init; }

    /// <summary>The antiforgery token every form posts.</summary>
    public AntiforgeryTokenSet Token { get; }

    /// <summary>When the page was drawn.</summary>
    public DateTimeOffset Now { get; }

    /// <summary>The outcome of the action that led here, shown once at the top.</summary>
    public PageNote? Note { get; init; }

    /// <summary>Tenants an admin can pick from (the first ones with jobs); empty for an operator.</summary>
    public IReadOnlyList<string> Tenants { get; init; } = [];

    /// <summary>Seconds after which the page reloads itself; null for never.</summary>
    public int? RefreshSeconds { get; init; }

    /// <summary>Whether an admin is signed in.</summary>
    public bool IsAdmin => Role == ApiKeyRole.Admin;

    /// <summary>Whether the signed-in key may see <paramref name="tenant"/>: an admin any, an operator its own.</summary>
    public bool May(string tenant) => IsAdmin || CallerTenant == tenant;

    /// <summary>A link to a page below the root, keeping the tenant shown unless the query names one; empty values are left out.</summary>
    public string Link(string path, params (string Name, string? Value)[] query)
    {
        var pairs = (query.Any(p => p.Name == "tenant") ? query : query.Prepend(("tenant", IsAdmin ? Tenant : null)))
            .Where(p => !string.IsNullOrEmpty(p.Item2))
            .Select(p => $"{p.Item1}={Uri.EscapeDataString(p.Item2!)}");
        var search = string.Join("&", pairs);
        return Root + path + (search.Length == 0 ? "" : "?" + search);
    }
}

/// <summary>A line at the top of a page saying what the last action did; <see cref="IsError"/> when it did not.</summary>
/// <param name="Text">What happened.</param>
/// <param name="IsError">Whether the action failed.</param>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed record PageNote(string Text, bool IsError = false);

/// <summary>A page of a queue's jobs for the pages' components; <see cref="Next"/> is the cursor of the next page.</summary>
/// <param name="Jobs">The jobs on this page.</param>
/// <param name="Next">The next page's cursor; null on the last page.</param>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed record QueueJobs(IReadOnlyList<JobInfo> Jobs, string? Next);

/// <summary>A page of jobs a search found, for the pages' components.</summary>
/// <param name="Jobs">The jobs on this page.</param>
/// <param name="Next">The next page's cursor; null on the last page.</param>
/// <param name="JobTypesLeftOut">Whether the tenant had more job types than one search reads.</param>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed record FoundJobs(IReadOnlyList<JobInfo> Jobs, string? Next, bool JobTypesLeftOut);
