using System.Text.Json;
using OrleansJobs.Security;

namespace OrleansJobs.Http.Endpoints;

/// <summary>One job to enqueue: its type, its payload (any JSON value) and its options.</summary>
public sealed record EnqueueRequest(string JobType, JsonElement Payload, EnqueueOptions? Options = null);

/// <summary>Several jobs to enqueue in one call, all of one tenant.</summary>
public sealed record BatchEnqueueRequest(IReadOnlyList<EnqueueRequest> Jobs);

/// <summary>
/// The id of an enqueued job. <paramref name="Created"/> is false when its idempotency key named an
/// earlier job: the id is that job's, and nothing new was stored.
/// </summary>
public sealed record EnqueueResponse(JobId Id, bool Created);

/// <summary>The ids of a batch, in order, and for each whether it is new (false: its idempotency key named an earlier job).</summary>
public sealed record BatchEnqueueResponse(IReadOnlyList<JobId> Ids, IReadOnlyList<bool> Created);

/// <summary>Whether a cancel request found something to cancel.</summary>
public sealed record CancelResponse(bool Cancelled);

/// <summary>Which dead-lettered jobs to replay, and at most how many.</summary>
public sealed record ReplayRequest(DeadLetterFilter? Filter = null, int Limit = 1000);

/// <summary>How many jobs a replay put back.</summary>
public sealed record ReplayResponse(int Replayed);

/// <summary>A schedule as sent over HTTP: a <see cref="RecurringJob"/> whose tenant and id come from the route.</summary>
public sealed record ScheduleRequest(
    string JobType,
    string Cron,
    JsonElement Payload,
    string? TimeZone = null,
    JobPriority Priority = JobPriority.Normal,
    int? MaxAttempts = null,
    TimeSpan? Timeout = null,
    MisfirePolicy Misfire = MisfirePolicy.FireOnce);

/// <summary>A new key: for one tenant in a role, or for no tenant as an admin.</summary>
public sealed record CreateKeyRequest(string? Tenant, ApiKeyRole Role, string Name);

/// <summary>A dead-lettered job over HTTP: its status, its payload as JSON, and every attempt's error.</summary>
public sealed record DeadLetterResponse(JobInfo Job, JsonElement Payload, IReadOnlyList<JobAttemptError> Errors)
{
    internal static DeadLetterResponse From(DeadLetteredJob job) => new(job.Job, PayloadJson.Read(job.Payload), job.Errors);
}

/// <summary>A schedule over HTTP: its definition with the payload as JSON, and where it stands.</summary>
public sealed record ScheduleResponse(
    string Tenant,
    string Id,
    string JobType,
    string Cron,
    string TimeZone,
    JsonElement Payload,
    JobPriority Priority,
    int? MaxAttempts,
    TimeSpan? Timeout,
    MisfirePolicy Misfire,
    DateTimeOffset? NextOccurrence,
    DateTimeOffset? LastOccurrence,
    JobId? LastJobId,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? PausedAt)
{
    internal static ScheduleResponse From(ScheduleInfo info)
    {
        var d = info.Definition;
        return new(d.Tenant, d.Id, d.JobType, d.Cron, d.TimeZone, PayloadJson.Read(d.Payload), d.Priority, d.MaxAttempts, d.Timeout, d.Misfire,
            info.NextOccurrence, info.LastOccurrence, info.LastJobId, info.CreatedAt, info.UpdatedAt, info.PausedAt);
    }
}

/// <summary>One page of schedules; pass <c>nextCursor</c> as the cursor for the next.</summary>
public sealed record SchedulePageResponse(IReadOnlyList<ScheduleResponse> Items, string? NextCursor);

/// <summary>A stored payload, UTF-8 JSON, as a JSON value of the answer rather than base64.</summary>
internal static class PayloadJson
{
    public static JsonElement Read(byte[] payload) => JsonDocument.Parse(payload).RootElement.Clone();
}

/// <summary>A key as listed: never its secret.</summary>
public sealed record ApiKeyResponse(string Id, string? Tenant, ApiKeyRole Role, string Name, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt);

/// <summary>A key just made: the only time its secret is shown.</summary>
public sealed record CreatedKeyResponse(string Id, string Key, string? Tenant, ApiKeyRole Role, string Name);
