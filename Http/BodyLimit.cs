using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace OrleansJobs.Http;

/// <summary>Endpoint metadata: the most bytes this endpoint's request body may have.</summary>
internal sealed record BodyLimit(long Bytes);

/// <summary>
/// Refuses a body over its endpoint's limit before it is read: at once from Content-Length, and for
/// a chunked body by capping what the server will read, so an oversized request never sits in memory.
/// </summary>
internal sealed class BodyLimitMiddleware(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<BodyLimit>() is { } limit)
        {
            if (context.Request.ContentLength > limit.Bytes)
            {
                await Problems.TooLarge(limit.Bytes).ExecuteAsync(context);
                return;
            }

            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
            {
                size.MaxRequestBodySize = limit.Bytes;
            }
        }

        try
        {
            await next(context);
        }
        catch (BadHttpRequestException error) when (error.StatusCode == StatusCodes.Status413PayloadTooLarge && !context.Response.HasStarted)
        {
            await Problems.TooLarge(context.GetEndpoint()?.Metadata.GetMetadata<BodyLimit>()?.Bytes ?? 0).ExecuteAsync(context);
        }
    }
}
