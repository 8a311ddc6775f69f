using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using OrleansJobs.Http.Security;
using OrleansJobs.Security;
using OrleansJobs.Storage;

namespace OrleansJobs.Http.Endpoints;

/// <summary>What the jobs pages' search and overview read, for scripts and dashboards: a tenant's jobs by state and filters, and its queues' recent history.</summary>
internal static class ExplorerEndpoints
{
    /// <summary>Most minutes of history one call returns.</summary>
    private const int MaxMinutes = 24 * 60;

    /// <summary>Most queues each list of the history holds.</summary>
    private const int MaxQueues = 500;

    public static void Map(RouteGroupBuilder tenant)
    {
        tenant.MapGet("/jobs", async (string tenant, string? state, string? jobType, string? from, string? to, string? errorContains, string? pageSize, string? cursor, IAdminStore store, CancellationToken ct) =>
            {
                var size = RequestValues.Int(pageSize, "pageSize", 50);
                if (size is < 1 or > 500)
                {
                    return Problems.Field("pageSize", "out_of_range", "must be from 1 to 500.");
                }

                if (jobType is not null)
                {
                    JobValidator.ValidateName(jobType, "jobType");
                }

                var page = await JobSearch.SearchAsync(
                    store,
                    new JobSearchRequest(tenant, Pages.Format.ParseState(state), jobType, StrictTime.ParseOptional(from, "from"), StrictTime.ParseOptional(to, "to"),
                        string.IsNullOrEmpty(errorContains) ? null : errorContains, string.IsNullOrEmpty(cursor) ? null : cursor, size),
                    ct);
                return ApiJson.Ok(new JobSearchResponse(page.Jobs, page.Next, page.JobTypesLeftOut));
            })
            .WithTags("Jobs")
            .RequireRole(ApiKeyRole.Operator)
            .WithName("OrleansJobs.SearchJobs")
            .Produces<JobSearchResponse>()
            .WithSummary("The tenant's jobs in one state (enqueued, scheduled, running, succeeded, cancelled, dead), of one job type or all, created from/to, whose last error contains a text; paged by nextCursor.");

        tenant.MapGet("/history", async (string tenant, string? minutes, IHistoryStore history, TimeProvider time, CancellationToken ct) =>
            {
                var span = RequestValues.Int(minutes, "minutes", 60);
                if (span is < 1 or > MaxMinutes)
                {
                    return Problems.Field("minutes", "out_of_range", $"must be from 1 to {MaxMinutes}.");
                }

                var read = await history.ReadHistoryAsync(HistoryQuery.Last(tenant, span, time.GetUtcNow(), MaxQueues), ct);
                return ApiJson.Ok(HistoryResponse.From(read));
            })
            .WithTags("Queues")
            .RequireRole(ApiKeyRole.Operator)
            .WithName("OrleansJobs.GetHistory")
            .Produces<HistoryResponse>()
            .WithSummary("The tenant's last minutes (60 unless asked, at most a day): per minute, jobs enqueued, attempts succeeded and failed, jobs dead-lettered and the backlog; per queue, the same sums and its last sampled backlog and oldest wait.");
    }
}

/// <summary>A page of a jobs search; <paramref name="NextCursor"/> continues it (null on the last); <paramref name="JobTypesLeftOut"/> when the tenant had more job types than one search reads.</summary>
public sealed record JobSearchResponse(IReadOnlyList<JobInfo> Jobs, string? NextCursor, bool JobTypesLeftOut);

/// <summary>A tenant's recent history: minute by minute (oldest first, minutes nobody reported left out), and per queue.</summary>
public sealed record HistoryResponse(IReadOnlyList<HistoryMinute> Minutes, IReadOnlyList<QueueHistoryEntry> Queues)
{
    internal static HistoryResponse From(QueueHistory history)
    {
        var levels = history.Levels.ToDictionary(l => l.Queue);
        var activity = history.Queues.ToDictionary(q => q.Queue);
        var queues = activity.Keys.Union(levels.Keys).Select(key =>
        {
            activity.TryGetValue(key, out var counts);
            levels.TryGetValue(key, out var level);
            return new QueueHistoryEntry(key.JobType, counts?.Enqueued ?? 0, counts?.Succeeded ?? 0, counts?.Failed ?? 0, counts?.DeadLettered ?? 0, level?.Backlog, level?.OldestWait?.TotalSeconds);
        });
        return new HistoryResponse(
            [.. history.Minutes.Select(m => new HistoryMinute(m.Minute, m.Enqueued, m.Succeeded, m.Failed, m.DeadLettered, m.Backlog))],
            [.. queues.OrderBy(q => q.JobType, StringComparer.Ordinal)]);
    }
}

/// <summary>One minute of a tenant: counts summed over its queues, and the backlog they last sampled in it.</summary>
public sealed record HistoryMinute(DateTimeOffset Minute, long Enqueued, long Succeeded, long Failed, long DeadLettered, long Backlog);

/// <summary>One queue over the window: its counts, and its backlog and oldest wait (seconds) as last sampled lately (null when it did not report).</summary>
public sealed record QueueHistoryEntry(string JobType, long Enqueued, long Succeeded, long Failed, long DeadLettered, long? Backlog, double? OldestWaitSeconds);
