using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using OrleansJobs.Http.Pages;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansJobs.Security;

namespace OrleansJobs.Http.Security;

/// <summary>
/// The API's own authentication scheme, never the host's default: the pages' and dashboard's
/// policies name it. Signs browser users of the jobs page and the Orleans dashboard in with an API key kept in an
/// HttpOnly, SameSite=Strict cookie (set by the page's login form) or sent as a header. A browser
/// that is not signed in is sent to the login form; anything else gets 401.
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiKeyAuthenticator keys,
    IOptions<HttpApiOptions> api)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "OrleansJobsKey";
    public const string Cookie = "orleansjobs_key";
    public const string TenantClaim = "orleansjobs:tenant";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var presented = Request.Cookies[Cookie] ?? (Request.Headers.Authorization.ToString() is { } auth && auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? auth[7..].Trim() : null);
        if (string.IsNullOrEmpty(presented))
        {
            return AuthenticateResult.NoResult();
        }

        if (await keys.AuthenticateAsync(presented, Context.RequestAborted) is not { } caller)
        {
            return AuthenticateResult.Fail("The API key is not valid.");
        }

        List<Claim> claims = [new(ClaimTypes.NameIdentifier, caller.KeyId), new(ClaimTypes.Role, caller.Role.ToString())];
        if (caller.Tenant is not null)
        {
            claims.Add(new Claim(TenantClaim, caller.Tenant));
        }

        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName)), SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        if (Request.Headers.Accept.ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase))
        {
            Response.Redirect($"{Request.PathBase}{api.Value.PagesPath}/login?returnUrl={Uri.EscapeDataString(Request.PathBase + Request.Path + Request.QueryString)}");
        }
        else
        {
            Response.StatusCode = StatusCodes.Status401Unauthorized;
        }

        return Task.CompletedTask;
    }
}
