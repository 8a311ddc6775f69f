using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using OrleansJobs.Http.Security;
using OrleansJobs.Security;

namespace OrleansJobs.Http.Endpoints;

/// <summary>A tenant's dead-letter queue: list, inspect, replay.</summary>
internal static class DeadLetterEndpoints
{
    public static void Map(RouteGroupBuilder tenant)
    {
        var dead = tenant.MapGroup("/dead-letters").WithTags("Dead letters").RequireRole(ApiKeyRole.Operator);

        dead.MapGet("/", async (string tenant, string? jobType, string? from, string? to, string? errorContains, string? pageSize, string? cursor, IJobClient client, CancellationToken ct) =>
            {
                JobId? after = null;
                if (cursor is not null)
                {
                    if (!JobId.TryParse(cursor, out var parsed))
                    {
                        return Problems.Field("cursor", "invalid", "must be the nextCursor of a previous page.");
                    }

                    after = parsed;
                }

                var filter = new DeadLetterFilter
                {
                    JobType = jobType,
                    From = StrictTime.ParseOptional(from, "from"),
                    To = StrictTime.ParseOptional(to, "to"),
                    ErrorContains = errorContains,
                };
                try
                {
                    return ApiJson.Ok(await client.ListDeadLettersAsync(tenant, filter, RequestValues.Int(pageSize, "pageSize", 100), after, ct));
                }
                catch (JobValidationException error) when (error.Field.StartsWith("filter.", StringComparison.Ordinal))
                {
                    // The filter came as query parameters of these names.
                    throw new JobValidationException(error.Field["filter.".Length..], error.Code, error.Message);
                }
            })
            .WithName("OrleansJobs.ListDeadLetters")
            .Produces<DeadLetterPage>()
            .WithSummary("Dead-lettered jobs, newest first, filtered by type, time and error text; paged.");

        dead.MapGet("/{id}", async (string tenant, string id, IJobClient client, CancellationToken ct) =>
                await client.GetDeadLetterAsync(tenant, RequestValues.Id(id), ct) is { } job
                    ? ApiJson.Ok(DeadLetterResponse.From(job))
                    : Problems.NotFound($"Tenant '{tenant}' has no dead-lettered job '{id}'."))
            .WithName("OrleansJobs.GetDeadLetter")
            .Produces<DeadLetterResponse>()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("A dead-lettered job with its payload and every attempt's error.");

        dead.MapPost("/{id}/replay", async (string tenant, string id, IJobClient client, CancellationToken ct) =>
                await client.ReplayAsync(tenant, RequestValues.Id(id), ct)
                    ? ApiJson.Ok(new ReplayResponse(1))
                    : Problems.NotFound($"Tenant '{tenant}' has no dead-lettered job '{id}'."))
            .WithName("OrleansJobs.ReplayDeadLetter")
            .Produces<ReplayResponse>()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("Put one dead-lettered job back in its queue with fresh attempts.");

        dead.MapPost("/replay", async (string tenant, JsonBody<ReplayRequest> body, IJobClient client, CancellationToken ct) =>
                ApiJson.Ok(new ReplayResponse(await client.ReplayAsync(tenant, body.Value.Filter ?? new DeadLetterFilter(), body.Value.Limit, ct))))
            .WithName("OrleansJobs.ReplayDeadLetters")
            .Produces<ReplayResponse>()
            .WithMetadata(new BodyLimit(64 * 1024))
            .WithSummary("Replay the dead-lettered jobs that match a filter, at most 'limit'.");
    }
}
