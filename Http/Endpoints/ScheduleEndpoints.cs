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
        var schedules = tenant.MapGroup("/schedules").WithTags("Schedules").RequireRole(ApiKeyRole.Operator);

        schedules.MapGet("/", async (string tenant, string? pageSize, string? cursor, IJobClient client, CancellationToken ct) =>
            {
                var page = await client.ListSchedulesAsync(tenant, RequestValues.Int(pageSize, "pageSize", 100), cursor, ct);
                return ApiJson.Ok(new SchedulePageResponse([.. page.Items.Select(ScheduleResponse.From)], page.NextCursor));
            })
            .WithName("OrleansJobs.ListSchedules")
            .Produces<SchedulePageResponse>()
            .WithSummary("The tenant's schedules in name order; paged.");

        schedules.MapGet("/{id}", async (string tenant, string id, IJobClient client, CancellationToken ct) =>
                await client.GetScheduleAsync(tenant, id, ct) is { } schedule
                    ? ApiJson.Ok(ScheduleResponse.From(schedule))
                    : Problems.NotFound($"Tenant '{tenant}' has no schedule '{id}'."))
            .WithName("OrleansJobs.GetSchedule")
            .Produces<ScheduleResponse>()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("One schedule with its next and last occurrence.");

        schedules.MapPut("/{id}", async (string tenant, string id, JsonBody<ScheduleRequest> body, IJobClient client, CancellationToken ct) =>
            {
                var request = body.Value;
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
                    Payload = RawPayload.Of(request.Payload),
                    Priority = request.Priority,
                    MaxAttempts = request.MaxAttempts,
                    Timeout = request.Timeout,
                    Misfire = request.Misfire,
                };
                return ApiJson.Ok(ScheduleResponse.From(await client.UpsertScheduleAsync(schedule, ct)));
            })
            .WithName("OrleansJobs.PutSchedule")
            .Produces<ScheduleResponse>()
            .WithMetadata(new BodyLimit(limits.MaxPayloadBytes * 2L + 64 * 1024))
            .WithSummary("Create or replace a schedule.");

        schedules.MapPost("/{id}/pause", async (string tenant, string id, IJobClient client, CancellationToken ct) =>
                await client.PauseScheduleAsync(tenant, id, ct) is { } schedule
                    ? ApiJson.Ok(ScheduleResponse.From(schedule))
                    : Problems.NotFound($"Tenant '{tenant}' has no schedule '{id}'."))
            .WithName("OrleansJobs.PauseSchedule")
            .Produces<ScheduleResponse>()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("Pause a schedule: it enqueues nothing until resumed. Stored.");

        schedules.MapPost("/{id}/resume", async (string tenant, string id, IJobClient client, CancellationToken ct) =>
                await client.ResumeScheduleAsync(tenant, id, ct) is { } schedule
                    ? ApiJson.Ok(ScheduleResponse.From(schedule))
                    : Problems.NotFound($"Tenant '{tenant}' has no schedule '{id}'."))
            .WithName("OrleansJobs.ResumeSchedule")
            .Produces<ScheduleResponse>()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("Resume a paused schedule from its next occurrence after now; skipped occurrences are not made up.");

        schedules.MapDelete("/{id}", async (string tenant, string id, IJobClient client, CancellationToken ct) =>
                await client.DeleteScheduleAsync(tenant, id, ct) ? Results.NoContent() : Problems.NotFound($"Tenant '{tenant}' has no schedule '{id}'."))
            .WithName("OrleansJobs.DeleteSchedule")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("Delete a schedule; jobs it already enqueued stay.");
    }
}
