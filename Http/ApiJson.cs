using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;

namespace OrleansJobs.Http;

/// <summary>
/// The API's own JSON conventions (camelCase, enums as camelCase strings, no duplicate properties,
/// bounded depth, times only with a UTC offset), for its requests and answers only: the host's <c>JsonOptions</c> are never read
/// or changed, so an app with other JSON settings keeps them.
/// </summary>
internal static class ApiJson
{
    /// <summary>How deep a request body may nest.</summary>
    public const int MaxDepth = 64;

    public static readonly JsonSerializerOptions Options = Create();

    /// <summary>An answer serialized with the API's conventions.</summary>
    public static IResult Ok<T>(T value, int statusCode = StatusCodes.Status200OK) => TypedResults.Json(value, Options, statusCode: statusCode);

    /// <summary>An answer that names where the thing it made can be read (202 Accepted, 201 Created).</summary>
    public static IResult Located<T>(string location, T value, int statusCode) => new LocatedJson<T>(location, value, statusCode);

    private sealed class LocatedJson<T>(string location, T value, int statusCode) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.Location = location;
            return TypedResults.Json(value, Options, statusCode: statusCode).ExecuteAsync(httpContext);
        }
    }

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            AllowDuplicateProperties = false,
            MaxDepth = MaxDepth,
            Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false), new StrictDateTimeOffsetConverter() },
        };
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
