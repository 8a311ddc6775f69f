using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace OrleansJobs.Http.Security;

/// <summary>Lets a request through only with a valid key, and records who made it.</summary>
internal sealed class ApiKeyFilter : IEndpointFilter
{
    private const string CallerItem = "OrleansJobs.Caller";

    public static ApiCaller Caller(HttpContext context) => (ApiCaller)context.Items[CallerItem]!;

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var presented = http.Request.Headers.Authorization.ToString() is { } auth && auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
            ? auth["Bearer ".Length..].Trim()
            : http.Request.Headers["X-Api-Key"].ToString();
        var caller = await http.RequestServices.GetRequiredService<ApiKeyAuthenticator>().AuthenticateAsync(presented, http.RequestAborted);
        if (caller is null)
        {
            http.Response.Headers.WWWAuthenticate = "Bearer";
            return Problems.Unauthorized();
        }

        http.Items[CallerItem] = caller;
        return await next(context);
    }
}
