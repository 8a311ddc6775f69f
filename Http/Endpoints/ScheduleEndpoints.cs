using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using OrleansJobs.Http.Security;
using OrleansJobs.Security;

namespace OrleansJobs.Http.Endpoints;

/// <summary>A tenant's recurring jobs.</summary>
internal static class ScheduleEndpoints
{
    public static void Map(RouteGroupBuilder tenant, JobLimits limits)
    {
        var schedules = tenant.MapGroup("/schedules").WithTags("Schedules").AddEndpointFilter(new RoleFilter(ApiKeyRole.Operator));

        schedules.MapGet("/", (string tenant, int? pageSize, string? cursor, IJobClient client, CancellationToken ct) =>
                client.ListSchedulesAsync(tenant, pageSize ?? 100, cursor, ct))
            .WithSummary("The tenant's schedules in name order; paged.");

        schedules.MapGet("/{id}", async (string tenant, string id, IJobClient client, CancellationToken ct) =>
                await client.GetScheduleAsync(tenant, id, ct) is { } schedule
                    ? Results.Ok(schedule)
                    : Problems.NotFound($"Tenant '{tenant}' has no schedule '{id}'."))
            .WithSummary("One schedule with its next and last occurrence.");

        schedules.MapPut("/{id}", async (string tenant, string id, ScheduleRequest request, IJobClient client, CancellationToken ct) =>
            {
                if (request.Payload.ValueKind == JsonValueKind.Undefined)
                {
                    return Problems.Field("payload", "required", "a payload (any JSON value, e.g. {}) is required.");
                }

                var schedule = new RecurringJob
                {
                    Tenant = tenant,
                    Id = id,
                    JobType = request.JobType,
                    Cron = request.Cron,
                    TimeZone = request.TimeZone ?? "UTC",
                    Payload = JsonSerializer.SerializeToUtf8Bytes(request.Payload),
                    Priority = request.Priority,
                    MaxAttempts = request.MaxAttempts,
                    Timeout = request.Timeout,
                    Misfire = request.Misfire,
                };
                return Results.Ok(await client.UpsertScheduleAsync(schedule, ct));
            })
            .WithMetadata(new BodyLimit(limits.MaxPayloadBytes * 2L + 64 * 1024))
            .WithSummary("Create or replace a schedule.");

        schedules.MapDelete("/{id}", async (string tenant, string id, IJobClient client, CancellationToken ct) =>
                await client.DeleteScheduleAsync(tenant, id, ct) ? Results.NoContent() : Problems.NotFound($"Tenant '{tenant}' has no schedule '{id}'."))
            .WithSummary("Delete a schedule; jobs it already enqueued stay.");
    }
}
