using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using OrleansJobs.Http.Endpoints;
using OrleansJobs.Security;

namespace OrleansJobs.Http.Security;

/// <summary>Puts a route behind a role, and only then looks at its body.</summary>
internal static class RoleFilterExtensions
{
    /// <summary>
    /// Lets only callers in <paramref name="role"/> (for the route's tenant) through, then answers an
    /// unreadable body as a problem naming the field: a caller who may not use the route learns
    /// nothing from it, whatever it sent.
    /// </summary>
    public static TBuilder RequireRole<TBuilder>(this TBuilder builder, ApiKeyRole role)
        where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(new RoleFilter(role)).AddEndpointFilter(new BodyErrorFilter());

    /// <summary>Answers the first argument that is a body that could not be read.</summary>
    private sealed class BodyErrorFilter : IEndpointFilter
    {
        public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
        {
            foreach (var argument in context.Arguments)
            {
                if (argument is IJsonBody { Error: { } unreadable })
                {
                    return ValueTask.FromResult<object?>(Problems.Validation(unreadable));
                }
            }

            return next(context);
        }
    }
}
