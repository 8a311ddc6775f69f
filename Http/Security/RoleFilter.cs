using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using OrleansJobs.Security;

namespace OrleansJobs.Http.Security;

/// <summary>
/// Lets the caller through only for its own tenant (the route's <c>{tenant}</c>) in at least the
/// given role, or anywhere as an admin. Another tenant's route is refused outright (403); an id of
/// another tenant's job inside one's own route is simply not found (404), as the store is read per tenant.
/// </summary>
internal sealed class RoleFilter(ApiKeyRole role) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var caller = ApiKeyFilter.Caller(context.HttpContext);
        var tenant = context.HttpContext.GetRouteValue("tenant") as string;
        if (tenant is null ? caller.Role != ApiKeyRole.Admin : !caller.May(tenant, role))
        {
            return Problems.Forbidden(tenant is null
                ? "This endpoint needs an admin key."
                : $"This key may not act as {role} for tenant '{tenant}'.");
        }

        return await next(context);
    }
}
