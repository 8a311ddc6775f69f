using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.OpenApi;

namespace OrleansJobs.Http;

/// <summary>
/// The API's own OpenAPI document (<see cref="HttpApiOptions.OpenApiDocumentName"/>): only its
/// operations (grouped by that name, so they stay out of the host's documents), the API key as a
/// bearer security scheme every operation needs, and the API's JSON conventions in its schemas.
/// </summary>
internal static class ApiDocument
{
    private const string SecuritySchemeName = "apiKey";

    /// <summary>Registers the document; its name must be known now, as AddOpenApi keys its services by it.</summary>
    public static void Add(IServiceCollection services, string name) => services.AddOpenApi(name, Configure);

    /// <summary>
    /// Serves the document at <c>/openapi/{name}.json</c>. A host that maps its own documents with
    /// <c>MapOpenApi()</c> has a route that matches the same path; ours is ordered first so the two never
    /// make an ambiguous match.
    /// </summary>
    public static void Map(IEndpointRouteBuilder endpoints, string name) =>
        endpoints.MapOpenApi($"/openapi/{{documentName:regex(^{System.Text.RegularExpressions.Regex.Escape(name)}$)}}.json")
            .ExcludeFromDescription()
            .Add(endpoint => ((RouteEndpointBuilder)endpoint).Order = -1);

    private static void Configure(Microsoft.AspNetCore.OpenApi.OpenApiOptions options)
    {
        options.ShouldInclude = description => description.GroupName == options.DocumentName;
        options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info = new OpenApiInfo
            {
                Title = "OrleansJobs HTTP API",
                Version = "v1",
                Description = "Enqueue, inspect, cancel and replay background jobs; manage queues, schedules and API keys. Errors are RFC 7807 problem details with 'field' and 'code'.",
            };
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes[SecuritySchemeName] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "An OrleansJobs API key (ojk_…), as 'Authorization: Bearer <key>' (or 'X-Api-Key: <key>').",
            };
            document.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(SecuritySchemeName, document)] = [] }];
            return Task.CompletedTask;
        });
    }
}
