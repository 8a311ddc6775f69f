using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace OrleansJobs.Http.Security;

/// <summary>Lets a request through only with a valid key (or a host user the API maps), and records who made it.</summary>
internal sealed class ApiKeyFilter : IEndpointFilter
{
    private const string CallerItem = "OrleansJobs.Caller";

    public static ApiCaller Caller(HttpContext context) => (ApiCaller)context.Items[CallerItem]!;

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var caller = await http.RequestServices.GetRequiredService<CallerResolver>().FromRequestAsync(http);
        if (caller is null)
        {
            http.Response.Headers.WWWAuthenticate = "Bearer";
            return Problems.Unauthorized();
        }

        http.Items[CallerItem] = caller;
        return await next(context);
    }
}
