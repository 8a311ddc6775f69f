using Microsoft.AspNetCore.Http;

namespace OrleansJobs.Http;

/// <summary>Answers the grid's typed errors with their HTTP meaning instead of a 500.</summary>
internal sealed class ErrorFilter : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (JobValidationException error)
        {
            return Problems.Validation(error);
        }
        catch (QueueFullException full)
        {
            context.HttpContext.Response.Headers.RetryAfter = ((long)Math.Ceiling(full.RetryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return Results.Problem(
                statusCode: StatusCodes.Status429TooManyRequests,
                title: "Queue full",
                detail: full.Message,
                extensions: new Dictionary<string, object?> { ["queue"] = full.Queue, ["maxBacklog"] = full.MaxBacklog, ["retryAfterSeconds"] = Math.Ceiling(full.RetryAfter.TotalSeconds) });
        }
        catch (JobStoreUnavailableException unavailable)
        {
            context.HttpContext.Response.Headers.RetryAfter = StoreFailureMiddleware.RetryAfterSeconds;
            return Problems.Unavailable(unavailable.Message);
        }
    }
}
