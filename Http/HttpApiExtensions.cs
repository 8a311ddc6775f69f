using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Dashboard;
using OrleansJobs.Hosting;
using OrleansJobs.Http.Endpoints;
using OrleansJobs.Http.Metrics;
using OrleansJobs.Http.Pages;
using OrleansJobs.Http.Security;
using OrleansJobs.Security;

namespace OrleansJobs.Http;

/// <summary>
/// Adds the grid's HTTP API to an ASP.NET Core host that runs a silo with <c>AddOrleansJobs</c>.
/// It keeps to itself: its own authentication scheme (never the default), its own JSON settings,
/// its own OpenAPI document and its own authorization policies, so the host's stay as they are.
/// </summary>
public static class HttpApiExtensions
{
    /// <summary>The policy of the jobs page: a signed-in operator or admin (key or mapped host user).</summary>
    public const string PagesPolicy = "OrleansJobs.Pages";

    /// <summary>The policy of the Orleans dashboard: an admin.</summary>
    public const string AdminPolicy = "OrleansJobs.Admin";

    /// <summary>Registers the API's services: key checks, its authentication scheme and policies, problem details, its OpenAPI document.</summary>
    public static IServiceCollection AddOrleansJobsHttpApi(this IServiceCollection services, Action<HttpApiOptions>? configure = null)
    {
        var options = services.AddOptions<HttpApiOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.Validate(o =>
        {
            o.Validate();
            return true;
        });
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ApiKeyAuthenticator>();
        services.TryAddSingleton<CallerResolver>();
        services.AddProblemDetails();
        services.AddAntiforgery();
        services.AddRazorComponents();
        services.TryAddSingleton<PageFrames>();
        services.TryAddSingleton<Pages.BulkActions>();
        services.AddAuthentication()
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        services.AddAuthorization();
        services.AddOptions<AuthorizationOptions>().Configure<IOptions<HttpApiOptions>, IServiceProvider>((authorization, http, provider) =>
        {
            string[] schemes = [ApiKeyAuthenticationHandler.SchemeName, .. http.Value.HostAuthenticationSchemes];
            authorization.AddPolicy(PagesPolicy, policy => policy.AddAuthenticationSchemes(schemes).RequireAuthenticatedUser()
                .RequireAssertion(context => provider.GetRequiredService<CallerResolver>().FromUser(context.User) is not null));
            authorization.AddPolicy(AdminPolicy, policy => policy.AddAuthenticationSchemes(schemes).RequireAuthenticatedUser()
                .RequireAssertion(context => provider.GetRequiredService<CallerResolver>().FromUser(context.User) is { Role: ApiKeyRole.Admin }));
        });
        // The document's name is needed now (the OpenAPI services are keyed by it): read it from the settings as given.
        var given = new HttpApiOptions();
        configure?.Invoke(given);
        ApiDocument.Add(services, given.OpenApiDocumentName);
        return services;
    }

    /// <summary>
    /// Maps the API under <see cref="HttpApiOptions.ApiPath"/> (<c>/v1</c>), its OpenAPI document at
    /// <c>/openapi/{OpenApiDocumentName}.json</c>, the Prometheus metrics at <see cref="HttpApiOptions.MetricsPath"/>
    /// and the operators' jobs page at <see cref="HttpApiOptions.PagesPath"/>. Every API call needs a key
    /// (or a mapped host user); tenant routes need that tenant's key (or an admin's). With
    /// <paramref name="mapPages"/> false the jobs page is left out (a host with no admin key).
    /// </summary>
    public static IEndpointRouteBuilder MapOrleansJobsHttpApi(this IEndpointRouteBuilder endpoints, bool mapPages = true)
    {
        var limits = endpoints.ServiceProvider.GetRequiredService<IOptions<OrleansJobsOptions>>().Value.Limits;
        var options = endpoints.ServiceProvider.GetRequiredService<IOptions<HttpApiOptions>>().Value;
        ApiDocument.Map(endpoints, options.OpenApiDocumentName);
        MetricsEndpoint.Map(endpoints, options.MetricsPath, options.AnonymousMetrics);

        var api = endpoints.MapGroup(options.ApiPath)
            .WithGroupName(options.OpenApiDocumentName)
            .AddEndpointFilter<ApiKeyFilter>()
            .AddEndpointFilter<ErrorFilter>()
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        KeyEndpoints.Map(api, options.ApiPath);
        QueueEndpoints.MapClusterWide(api);

        var tenant = api.MapGroup("/tenants/{tenant}").AddEndpointFilter(static async (context, next) =>
        {
            // A hostile or malformed tenant in the path is refused before anything reads it.
            JobValidator.ValidateName(context.HttpContext.GetRouteValue("tenant") as string, "tenant");
            return await next(context);
        });
        if (mapPages)
        {
            // Pages are for people: they stay out of every OpenAPI document, the host's included.
            var pages = endpoints.MapGroup(options.PagesPath).ExcludeFromDescription();
            PageEndpoints.Map(pages);
            PageActions.Map(pages, options.PagesPath);
        }

        JobEndpoints.Map(tenant, limits, options.ApiPath);
        DeadLetterEndpoints.Map(tenant);
        ExplorerEndpoints.Map(tenant);
        QueueEndpoints.Map(tenant);
        ScheduleEndpoints.Map(tenant, limits);
        return endpoints;
    }

    /// <summary>
    /// Refuses oversized request bodies before they are read, and answers a store failure anywhere in
    /// the API (signing a caller in included) with 503; call after <c>UseRouting</c> (or early in a minimal host).
    /// </summary>
    public static IApplicationBuilder UseOrleansJobsHttpApi(this IApplicationBuilder app)
    {
        if (app is IEndpointRouteBuilder)
        {
            // A WebApplication routes implicitly at the start; make that explicit so the middleware sees the endpoint.
            app.UseRouting();
        }

        return app.UseMiddleware<StoreFailureMiddleware>().UseMiddleware<BodyLimitMiddleware>().UseAuthentication().UseAuthorization();
    }

    /// <summary>
    /// Maps the Orleans dashboard (add it to the silo with <c>siloBuilder.AddDashboard()</c>) for admins
    /// only, signed in through the jobs page's login, an admin key or a mapped host user.
    /// </summary>
    public static IEndpointRouteBuilder MapOrleansJobsDashboard(this IEndpointRouteBuilder endpoints, string path = "/dashboard")
    {
        endpoints.MapOrleansDashboard(routePrefix: path).RequireAuthorization(AdminPolicy).ExcludeFromDescription();
        return endpoints;
    }
}
