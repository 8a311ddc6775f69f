using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using OrleansJobs.Http.Security;
using OrleansJobs.Security;

namespace OrleansJobs.Http.Endpoints;

/// <summary>Enqueue, read and cancel a tenant's jobs.</summary>
internal static class JobEndpoints
{
    /// <summary>Set on an enqueue answered with an earlier job that its idempotency key named.</summary>
    public const string IdempotentReplayedHeader = "Idempotent-Replayed";

    public static void Map(RouteGroupBuilder tenant, JobLimits limits, string apiPath)
    {
        var jobs = tenant.MapGroup("/jobs").WithTags("Jobs").RequireRole(ApiKeyRole.Producer);

        jobs.MapPost("/", async (HttpContext http, string tenant, JsonBody<EnqueueRequest> body, IJobClient client, CancellationToken ct) =>
            {
                // The payload's bytes as sent: writing the element out again would mend invalid UTF-8.
                var (id, created) = await client.EnqueueWithReceiptAsync(ToJobRequest(tenant, body.Value, ""), ct);
                if (!created)
                {
                    // As payment APIs answer a repeated idempotency key: the earlier result, marked as a replay.
                    http.Response.Headers[IdempotentReplayedHeader] = "true";
                }

                return ApiJson.Located($"{http.Request.PathBase}{apiPath}/tenants/{tenant}/jobs/{id}", new EnqueueResponse(id, created),
                    created ? StatusCodes.Status202Accepted : StatusCodes.Status200OK);
            })
            .WithName("OrleansJobs.EnqueueJob")
            .Produces<EnqueueResponse>(StatusCodes.Status202Accepted)
            .Produces<EnqueueResponse>(StatusCodes.Status200OK)
            .WithMetadata(new BodyLimit(limits.MaxPayloadBytes * 2L + 64 * 1024))
            .WithSummary("Enqueue one job; answers 202 once it is stored, with the job's status URL in Location, or 200 with created false and Idempotent-Replayed when its idempotency key named an earlier job.");

        jobs.MapPost("/batch", async (string tenant, JsonBody<BatchEnqueueRequest> body, IJobClient client, CancellationToken ct) =>
            {
                if (body.Value.Jobs is not { Count: > 0 } requests)
                {
                    return Problems.Field("jobs", "required", "send at least one job.");
                }

                var receipts = await client.EnqueueManyWithReceiptsAsync([.. requests.Select((job, i) => ToJobRequest(tenant, job, $"jobs[{i}]."))], ct);
                return ApiJson.Ok(new BatchEnqueueResponse([.. receipts.Select(r => r.Id)], [.. receipts.Select(r => r.Created)]));
            })
            .WithName("OrleansJobs.EnqueueJobs")
            .Produces<BatchEnqueueResponse>()
            .WithMetadata(new BodyLimit(limits.MaxBatchBytes * 2 + 1024 * 1024))
            .WithSummary("Enqueue many jobs, stored together; all or none.");

        jobs.MapGet("/{id}", async (string tenant, string id, IJobClient client, CancellationToken ct) =>
                await client.GetStatusAsync(tenant, RequestValues.Id(id), ct) is { } job
                    ? ApiJson.Ok(job)
                    : Problems.NotFound($"Tenant '{tenant}' has no job '{id}'."))
            .WithName("OrleansJobs.GetJob")
            .Produces<JobInfo>()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("A job's status.");

        jobs.MapPost("/{id}/cancel", async (string tenant, string id, IJobClient client, CancellationToken ct) =>
            {
                var jobId = RequestValues.Id(id);
                if (await client.GetStatusAsync(tenant, jobId, ct) is null)
                {
                    return Problems.NotFound($"Tenant '{tenant}' has no job '{id}'.");
                }

                return ApiJson.Ok(new CancelResponse(await client.CancelAsync(tenant, jobId, ct)));
            })
            .WithName("OrleansJobs.CancelJob")
            .Produces<CancelResponse>()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("Cancel a waiting job, or ask a running one to stop.");
    }

    private static JobRequest ToJobRequest(string tenant, EnqueueRequest request, string prefix)
    {
        if (request.Payload.ValueKind == JsonValueKind.Undefined)
        {
            throw new JobValidationException($"{prefix}payload", "required", "a payload (any JSON value, e.g. {}) is required.");
        }

        return new JobRequest(tenant, request.JobType, RawPayload.Of(request.Payload), request.Options);
    }
}
