using System.Reflection;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;

namespace OrleansJobs.Http.Endpoints;

/// <summary>A request body that could not be read as its type: the field and code to tell the caller.</summary>
internal interface IJsonBody
{
    JobValidationException? Error { get; }
}

/// <summary>
/// A request body read with the API's own JSON options (<see cref="ApiJson"/>), not the host's. A body
/// that is missing, malformed or of the wrong shape does not fail binding with a bare 400: it carries
/// an error naming the field, which the route answers as problem details once the caller's role is checked
/// (<see cref="Security.RoleFilterExtensions.RequireRole"/>).
/// </summary>
internal sealed class JsonBody<T> : IJsonBody, IEndpointParameterMetadataProvider
    where T : class
{
    private JsonBody(T? value, JobValidationException? error) => (ValueOrNull, Error) = (value, error);

    /// <summary>The body; read it only when <see cref="Error"/> is null (the filter sees to that).</summary>
    public T Value => ValueOrNull ?? throw new InvalidOperationException("The body failed to bind.");

    private T? ValueOrNull { get; }

    public JobValidationException? Error { get; }

    public static async ValueTask<JsonBody<T>?> BindAsync(HttpContext context, ParameterInfo parameter)
    {
        try
        {
            var value = await JsonSerializer.DeserializeAsync<T>(context.Request.Body, ApiJson.Options, context.RequestAborted);
            return value is null
                ? new JsonBody<T>(null, new JobValidationException("body", "required", "a JSON object is required."))
                : new JsonBody<T>(value, null);
        }
        catch (JsonException ex)
        {
            return new JsonBody<T>(null, Describe(ex));
        }
    }

    public static void PopulateMetadata(ParameterInfo parameter, EndpointBuilder builder) =>
        builder.Metadata.Add(new AcceptsMetadata(["application/json"], typeof(T)));

    /// <summary>The field is the JSON path of the failure (<c>$.options.maxAttempts</c> → <c>options.maxAttempts</c>).</summary>
    private static JobValidationException Describe(JsonException ex)
    {
        var field = ex.Path is null or "$" ? "body" : ex.Path.StartsWith("$.", StringComparison.Ordinal) ? ex.Path[2..] : ex.Path.TrimStart('$');
        if (ex is MissingOffsetException)
        {
            return new JobValidationException(field, "missing_offset", ex.Message);
        }

        if (ex.GetType().Name == "JsonReaderException" || ex.InnerException?.GetType().Name == "JsonReaderException")
        {
            return new JobValidationException(field, "malformed_json", $"the body is not valid JSON: {ex.Message}");
        }

        return ex.Message.Contains("duplicate", StringComparison.OrdinalIgnoreCase)
            ? new JobValidationException(field, "duplicate_property", $"a property appears twice: {ex.Message}")
            : new JobValidationException(field, "invalid_value", $"the value does not fit the field: {ex.Message}");
    }
}
