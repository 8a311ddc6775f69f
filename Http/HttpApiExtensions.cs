using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Authentication;
using Orleans.Dashboard;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OrleansJobs.Hosting;
using OrleansJobs.Http.Endpoints;
using OrleansJobs.Http.Metrics;
using OrleansJobs.Http.Pages;
using OrleansJobs.Http.Security;

namespace OrleansJobs.Http;

/// <summary>Adds the grid's HTTP API to an ASP.NET Core host that runs a silo with <c>AddOrleansJobs</c>.</summary>
public static class HttpApiExtensions
{
    /// <summary>Registers the API's services: key checks, JSON settings, problem details, the OpenAPI document.</summary>
    public static IServiceCollection AddOrleansJobsHttpApi(this IServiceCollection services, Action<HttpApiOptions>? configure = null)
    {
        var options = services.AddOptions<HttpApiOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.Validate(o => o.AdminKey is null || o.AdminKey.Length >= 32, "HttpApiOptions.AdminKey must be at least 32 characters when set.");
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ApiKeyAuthenticator>();
        services.AddProblemDetails();
        services.Configure<JsonOptions>(o => o.SerializerOptions.Converters.Add(new JsonStringEnumConverter(System.Text.Json.JsonNamingPolicy.CamelCase)));
        services.AddOpenApi("v1");
        services.AddAntiforgery();
        services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(ApiKeyAuthenticationHandler.AdminPolicy, policy => policy.RequireRole(nameof(OrleansJobs.Security.ApiKeyRole.Admin)));
        return services;
    }

    /// <summary>
    /// Maps the API under <c>/v1</c>, its OpenAPI document at <c>/openapi/v1.json</c>, the
    /// Prometheus metrics at <c>/metrics</c> and the operators' jobs page at <c>/jobs</c>. Every
    /// <c>/v1</c> call needs a key; tenant routes need that tenant's key (or an admin's). With
    /// <paramref name="mapPages"/> false the jobs page is left out (a host with no admin key).
    /// </summary>
    public static IEndpointRouteBuilder MapOrleansJobsHttpApi(this IEndpointRouteBuilder endpoints, bool mapPages = true)
    {
        var limits = endpoints.ServiceProvider.GetRequiredService<IOptions<OrleansJobsOptions>>().Value.Limits;
        endpoints.MapOpenApi();
        MetricsEndpoint.Map(endpoints, endpoints.ServiceProvider.GetRequiredService<IOptions<HttpApiOptions>>().Value.AnonymousMetrics);

        var api = endpoints.MapGroup("/v1").AddEndpointFilter<ApiKeyFilter>().AddEndpointFilter<ErrorFilter>();
        KeyEndpoints.Map(api);
        QueueEndpoints.MapClusterWide(api);

        var tenant = api.MapGroup("/tenants/{tenant}").AddEndpointFilter(static async (context, next) =>
        {
            // A hostile or malformed tenant in the path is refused before anything reads it.
            JobValidator.ValidateName(context.HttpContext.GetRouteValue("tenant") as string, "tenant");
            return await next(context);
        });
        if (mapPages)
        {
            JobsPage.Map(endpoints);
        }

        JobEndpoints.Map(tenant, limits);
        DeadLetterEndpoints.Map(tenant);
        QueueEndpoints.Map(tenant);
        ScheduleEndpoints.Map(tenant, limits);
        return endpoints;
    }

    /// <summary>Refuses oversized request bodies before they are read; call after <c>UseRouting</c> (or early in a minimal host).</summary>
    public static IApplicationBuilder UseOrleansJobsHttpApi(this IApplicationBuilder app)
    {
        if (app is IEndpointRouteBuilder)
        {
            // A WebApplication routes implicitly at the start; make that explicit so the middleware sees the endpoint.
            app.UseRouting();
        }

        return app.UseMiddleware<BodyLimitMiddleware>().UseAuthentication().UseAuthorization();
    }

    /// <summary>
    /// Maps the Orleans dashboard (add it to the silo with <c>siloBuilder.AddDashboard()</c>) for admins
    /// only, signed in through the jobs page's login or an admin key.
    /// </summary>
    public static IEndpointRouteBuilder MapOrleansJobsDashboard(this IEndpointRouteBuilder endpoints, string path = "/dashboard")
    {
        endpoints.MapOrleansDashboard(routePrefix: path).RequireAuthorization(ApiKeyAuthenticationHandler.AdminPolicy);
        return endpoints;
    }
}
