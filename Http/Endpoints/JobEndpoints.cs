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
    public static void Map(RouteGroupBuilder tenant, JobLimits limits)
    {
        var jobs = tenant.MapGroup("/jobs").WithTags("Jobs").AddEndpointFilter(new RoleFilter(ApiKeyRole.Producer));

        jobs.MapPost("/", async (string tenant, EnqueueRequest request, IJobClient client, CancellationToken ct) =>
            {
                var job = ToJobRequest(tenant, request, "");
                var id = await client.EnqueueAsync(tenant, job.JobType, request.Payload, job.Options, ct);
                return Results.Accepted($"{id}", new EnqueueResponse(id));
            })
            .WithMetadata(new BodyLimit(limits.MaxPayloadBytes * 2L + 64 * 1024))
            .WithSummary("Enqueue one job; answers once it is stored.");

        jobs.MapPost("/batch", async (string tenant, BatchEnqueueRequest request, IJobClient client, CancellationToken ct) =>
            {
                if (request.Jobs is not { Count: > 0 })
                {
                    return Problems.Field("jobs", "required", "send at least one job.");
                }

                var ids = await client.EnqueueManyAsync([.. request.Jobs.Select((job, i) => ToJobRequest(tenant, job, $"jobs[{i}]."))], ct);
                return Results.Ok(new BatchEnqueueResponse(ids));
            })
            .WithMetadata(new BodyLimit(limits.MaxBatchBytes * 2 + 1024 * 1024))
            .WithSummary("Enqueue many jobs, stored together; all or none.");

        jobs.MapGet("/{id}", async (string tenant, string id, IJobClient client, CancellationToken ct) =>
                JobId.TryParse(id, out var jobId) && await client.GetStatusAsync(tenant, jobId, ct) is { } job
                    ? Results.Ok(job)
                    : Problems.NotFound($"Tenant '{tenant}' has no job '{id}'."))
            .WithSummary("A job's status.");

        jobs.MapPost("/{id}/cancel", async (string tenant, string id, IJobClient client, CancellationToken ct) =>
            {
                if (!JobId.TryParse(id, out var jobId) || await client.GetStatusAsync(tenant, jobId, ct) is null)
                {
                    return Problems.NotFound($"Tenant '{tenant}' has no job '{id}'.");
                }

                return Results.Ok(new CancelResponse(await client.CancelAsync(tenant, jobId, ct)));
            })
            .WithSummary("Cancel a waiting job, or ask a running one to stop.");
    }

    private static JobRequest ToJobRequest(string tenant, EnqueueRequest request, string prefix)
    {
        if (request.Payload.ValueKind == JsonValueKind.Undefined)
        {
            throw new JobValidationException($"{prefix}payload", "required", "a payload (any JSON value, e.g. {}) is required.");
        }

        return new JobRequest(tenant, request.JobType, JsonSerializer.SerializeToUtf8Bytes(request.Payload), request.Options);
    }
}
