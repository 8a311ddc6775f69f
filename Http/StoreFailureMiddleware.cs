using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using OrleansJobs.Diagnostics;

namespace OrleansJobs.Http;

/// <summary>
/// Answers a request that failed on the job store with 503, Retry-After and problem details, not a
/// 500 with an empty body. That covers what no endpoint filter sees: reading an API key to sign the
/// caller in, and the API's own reads of keys and queues. The failure goes to the silo's store
/// outage log, so an outage is a few lines however many requests it refuses.
/// </summary>
internal sealed class StoreFailureMiddleware(RequestDelegate next)
{
    public const string RetryAfterSeconds = "5";

    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
        }
        catch (Exception error) when (!context.Response.HasStarted && error is not BadHttpRequestException
            && (error is JobStoreUnavailableException || StoreErrorBoundary.IsStoreError(error)))
        {
            var operation = $"{context.Request.Method} {(context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? context.Request.Path}";
            context.RequestServices.GetService<StoreOutageLog>()?.Report(error, "the HTTP API", operation);
            context.Response.Clear();
            context.Response.Headers.RetryAfter = RetryAfterSeconds;
            var detail = error as JobStoreUnavailableException ?? StoreErrorBoundary.Unavailable(error, operation);
            await Problems.Unavailable(detail.Message).ExecuteAsync(context);
        }
    }
}
