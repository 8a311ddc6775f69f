using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using OrleansJobs.Http.Security;
using OrleansJobs.Security;
using OrleansJobs.Storage;

namespace OrleansJobs.Http.Endpoints;

/// <summary>A tenant's queues and policies.</summary>
internal static class QueueEndpoints
{
    /// <summary>Most queues one listing reads stats for.</summary>
    private const int MaxListed = 500;

    public static void MapClusterWide(RouteGroupBuilder api) =>
        api.MapGet("/queues", async (IQueueReadStore store, IJobClient client, TimeProvider time, CancellationToken ct) => ApiJson.Ok(await ListAsync(null, store, client, time, ct)))
            .WithTags("Queues")
            .WithName("OrleansJobs.ListAllQueues")
            .Produces<IReadOnlyList<QueueStats>>()
            .RequireRole(ApiKeyRole.Admin)
            .WithSummary("Every queue with waiting or running work, with its stats (admin).");

    public static void Map(RouteGroupBuilder tenant)
    {
        tenant.MapGet("/queues", async (string tenant, IQueueReadStore store, IJobClient client, TimeProvider time, CancellationToken ct) => ApiJson.Ok(await ListAsync(tenant, store, client, time, ct)))
            .WithTags("Queues")
            .WithName("OrleansJobs.ListQueues")
            .Produces<IReadOnlyList<QueueStats>>()
            .RequireRole(ApiKeyRole.Operator)
            .WithSummary("The tenant's queues with waiting or running work, with their stats.");

        var queues = tenant.MapGroup("/queues/{jobType}").WithTags("Queues").RequireRole(ApiKeyRole.Operator);
        queues.MapGet("/stats", async (string tenant, string jobType, IJobClient client, CancellationToken ct) => ApiJson.Ok(await client.GetQueueStatsAsync(tenant, jobType, ct)))
            .WithName("OrleansJobs.GetQueueStats")
            .Produces<QueueStats>()
            .WithSummary("Counts, oldest waiting job, completion rate and drain time.");
        queues.MapPost("/pause", async (string tenant, string jobType, IJobClient client, CancellationToken ct) => ApiJson.Ok(await client.PauseQueueAsync(tenant, jobType, ct)))
            .WithName("OrleansJobs.PauseQueue")
            .Produces<QueueStats>()
            .WithSummary("Pause the queue: it takes jobs and starts none until resumed; running ones finish. Stored, so it outlives restarts.");
        queues.MapPost("/resume", async (string tenant, string jobType, IJobClient client, CancellationToken ct) => ApiJson.Ok(await client.ResumeQueueAsync(tenant, jobType, ct)))
            .WithName("OrleansJobs.ResumeQueue")
            .Produces<QueueStats>()
            .WithSummary("Resume a paused queue: its waiting jobs start at once.");
        queues.MapGet("/policy", async (string tenant, string jobType, IJobClient client, CancellationToken ct) => ApiJson.Ok(await client.GetQueuePolicyAsync(tenant, jobType, ct)))
            .WithName("OrleansJobs.GetQueuePolicy")
            .Produces<QueuePolicy>()
            .WithSummary("The queue's effective policy.");
        queues.MapPut("/policy", async (string tenant, string jobType, JsonBody<QueuePolicy> policy, IJobClient client, CancellationToken ct) => ApiJson.Ok(await client.SetQueuePolicyAsync(tenant, jobType, policy.Value, ct)))
            .WithName("OrleansJobs.SetQueuePolicy")
            .Produces<QueuePolicy>()
            .WithMetadata(new BodyLimit(64 * 1024))
            .WithSummary("Replace the queue's policy override (null fields inherit the type's defaults); returns the effective policy.");

        tenant.MapGet("/status", async (string tenant, IJobClient client, CancellationToken ct) => ApiJson.Ok(await client.GetTenantStatusAsync(tenant, ct)))
            .WithTags("Queues")
            .WithName("OrleansJobs.GetTenantStatus")
            .Produces<TenantStatus>()
            .RequireRole(ApiKeyRole.Operator)
            .WithSummary("Whether the tenant is paused, and its in-flight cap.");
        tenant.MapPost("/pause", async (string tenant, IJobClient client, CancellationToken ct) => ApiJson.Ok(await client.PauseTenantAsync(tenant, ct)))
            .WithTags("Queues")
            .WithName("OrleansJobs.PauseTenant")
            .Produces<TenantStatus>()
            .RequireRole(ApiKeyRole.Operator)
            .WithSummary("Pause every queue of the tenant: they take jobs and start none until resumed; running ones finish. Stored, so it outlives restarts.");
        tenant.MapPost("/resume", async (string tenant, IJobClient client, CancellationToken ct) => ApiJson.Ok(await client.ResumeTenantAsync(tenant, ct)))
            .WithTags("Queues")
            .WithName("OrleansJobs.ResumeTenant")
            .Produces<TenantStatus>()
            .RequireRole(ApiKeyRole.Operator)
            .WithSummary("Resume a paused tenant: its queues start their waiting jobs at once.");

        var policy = tenant.MapGroup("/policy").WithTags("Queues");
        policy.MapGet("/", async (string tenant, IJobClient client, CancellationToken ct) => ApiJson.Ok(await client.GetTenantPolicyAsync(tenant, ct)))
            .WithName("OrleansJobs.GetTenantPolicy")
            .Produces<TenantPolicy>()
            .RequireRole(ApiKeyRole.Operator)
            .WithSummary("The tenant's effective policy (its in-flight cap).");

        // A tenant's cap protects the other tenants, so only an admin may change it.
        policy.MapPut("/", async (string tenant, JsonBody<TenantPolicy> body, IJobClient client, CancellationToken ct) => ApiJson.Ok(await client.SetTenantPolicyAsync(tenant, body.Value, ct)))
            .WithName("OrleansJobs.SetTenantPolicy")
            .Produces<TenantPolicy>()
            .RequireRole(ApiKeyRole.Admin)
            .WithMetadata(new BodyLimit(64 * 1024))
            .WithSummary("Replace the tenant's policy override (admin).");
    }

    /// <summary>The queues with work, with stats; a job type no silo handles is listed with the store's counts.</summary>
    private static async Task<IReadOnlyList<QueueStats>> ListAsync(string? tenant, IQueueReadStore store, IJobClient client, TimeProvider time, CancellationToken ct)
    {
        var queues = (await store.ListQueuesWithPendingWorkAsync(ct))
            .Where(q => tenant is null || q.Tenant == tenant)
            .OrderBy(q => q.Tenant, StringComparer.Ordinal).ThenBy(q => q.JobType, StringComparer.Ordinal)
            .Take(MaxListed);
        var now = time.GetUtcNow();
        return (await Task.WhenAll(queues.Select(q => QueueStatsLookup.GetAsync(client, store, q, now, ct)))).Select(s => s.Stats).ToList();
    }
}
