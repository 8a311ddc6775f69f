using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using OrleansJobs.Http.Pages.Components;
using OrleansJobs.Storage;

namespace OrleansJobs.Http.Pages;

/// <summary>
/// The operators' pages at <see cref="HttpApiOptions.PagesPath"/> (<c>/jobs</c>): queues, dead letters,
/// recurring jobs and one job in full (the overview and silos are in <see cref="ClusterPageEndpoints"/>). Razor components rendered on the server, no scripts; every
/// read goes through <see cref="PageFrames"/>, so an operator sees its own tenant only.
/// </summary>
internal static class PageEndpoints
{
    /// <summary>Queues per page.</summary>
    private const int QueuesPerPage = 50;

    /// <summary>Dead letters per page.</summary>
    private const int DeadPerPage = 50;

    /// <summary>Tenants per page.</summary>
    private const int TenantsPerPage = 100;

    /// <summary>A queue's jobs per page.</summary>
    private const int JobsPerPage = 50;

    /// <summary>Recurring jobs per page.</summary>
    private const int SchedulesPerPage = 50;

    /// <summary>The most dead letters a bulk replay or delete counts before it asks (it takes every one that matches).</summary>
    public const int CountLimit = 100_000;

    public static void Map(RouteGroupBuilder pages)
    {
        pages.MapGet("/login", (HttpContext context, PageFrames frames, Microsoft.AspNetCore.Antiforgery.IAntiforgery antiforgery, string? returnUrl, string? error) =>
            Component<LoginPage>(new
            {
                Token = antiforgery.GetAndStoreTokens(context),
                Action = frames.Root + "/login",
                ReturnUrl = PageActions.LocalOrDefault(returnUrl, frames.Root),
                Failed = error is not null,
            }));

        var signedIn = pages.MapGroup("").RequireAuthorization(HttpApiExtensions.PagesPolicy);
        signedIn.MapGet("", QueuesAsync);
        signedIn.MapGet("/dead", DeadLettersAsync);
        signedIn.MapGet("/dead/replay", (HttpContext context, PageFrames frames, IAdminStore store, string? tenant, string? jobType, string? error, string? from, string? to) =>
            BulkPreviewAsync(context, frames, store, "replay", tenant, jobType, error, from, to));
        signedIn.MapGet("/dead/delete", (HttpContext context, PageFrames frames, IAdminStore store, string? tenant, string? jobType, string? error, string? from, string? to) =>
            BulkPreviewAsync(context, frames, store, "delete", tenant, jobType, error, from, to));
        signedIn.MapGet("/schedules", SchedulesAsync);
        signedIn.MapGet("/queue/{jobType}", QueueJobsAsync);
        signedIn.MapGet("/job/{id}", JobAsync);
        signedIn.MapGet("/find", FindAsync);
        signedIn.MapGet("/tenants", TenantsAsync);
        signedIn.MapGet("/bulk/{id:guid}", BulkProgress);
        ClusterPageEndpoints.Map(signedIn);
        SearchPageEndpoint.Map(signedIn);
    }

    private static Task<IResult> QueuesAsync(HttpContext context, PageFrames frames, IAdminStore store, IQueueReadStore reads, IJobClient client, string? tenant, string? after, string? note, string? failed, int? refresh) =>
        ShowAsync(context, frames, tenant, note, failed, async frame =>
        {
            var cursor = after is { Length: > 0 } ? QueueKey.Parse(after) : (QueueKey?)null;
            var page = await store.ListQueuesAsync(new QueueListing(frame.Tenant, cursor, QueuesPerPage), context.RequestAborted);
            var stats = await Task.WhenAll(page.Queues.Select(q => QueueStatsLookup.GetAsync(client, reads, q, frame.Now, context.RequestAborted)));
            var status = frame.Tenant is { } shown ? await client.GetTenantStatusAsync(shown, context.RequestAborted) : null;
            return Component<QueuesPage>(new
            {
                Frame = frame with { RefreshSeconds = refresh is >= 2 ? refresh : null },
                Queues = stats.Select(s => s.Stats).ToList(),
                Unhandled = stats.Where(s => !s.Handled).Select(s => $"{s.Stats.Tenant}/{s.Stats.JobType}").ToHashSet(),
                Next = page.Next,
                TenantStatus = status,
            });
        });

    private static Task<IResult> DeadLettersAsync(HttpContext context, PageFrames frames, IJobClient client, string? tenant, string? jobType, string? error, string? from, string? to, string? cursor, string? note, string? failed) =>
        ShowAsync(context, frames, tenant, note, failed, async frame =>
        {
            if (frame.Tenant is null)
            {
                return ChooseTenant(frame, "Dead letters");
            }

            var filter = DeadLetterFilters.Parse(jobType, error, from, to);
            var after = cursor is { Length: > 0 } ? JobId.TryParse(cursor, out var id) ? id : throw new JobValidationException("cursor", "invalid_cursor", "is not a job id.") : (JobId?)null;
            var page = await client.ListDeadLettersAsync(frame.Tenant, filter, DeadPerPage, after, context.RequestAborted);
            return Component<DeadLettersPage>(new { Frame = frame, Filter = filter, Page = page });
        });

    /// <summary>Counts the dead letters a filter matches and asks before replaying or deleting them.</summary>
    private static Task<IResult> BulkPreviewAsync(HttpContext context, PageFrames frames, IAdminStore store, string action, string? tenant, string? jobType, string? error, string? from, string? to) =>
        ShowAsync(context, frames, tenant, null, null, async frame =>
        {
            if (frame.Tenant is null)
            {
                return ChooseTenant(frame, "Dead letters");
            }

            var filter = DeadLetterFilters.Parse(jobType, error, from, to);
            var count = await store.CountDeadAsync(frame.Tenant, filter, CountLimit, context.RequestAborted);
            return Component<BulkDeadLettersPage>(new { Frame = frame, Filter = filter, Action = action, Count = count, UpTo = CountLimit });
        });

    /// <summary>A bulk action's progress, to the tenant it acts on (any for an admin).</summary>
    private static Task<IResult> BulkProgress(HttpContext context, PageFrames frames, BulkActions bulk, Guid id, string? tenant) =>
        ShowAsync(context, frames, tenant, null, null, frame =>
        {
            if (bulk.Find(id) is not { } action || (frame.Tenant is { } shown && shown != action.Tenant) || !frame.May(action.Tenant))
            {
                return Task.FromResult<IResult>(Component<ProblemPage>(new { Frame = frame, Title = "No such bulk action", Text = "It is not one of this tenant's, or it ended long ago." }, StatusCodes.Status404NotFound));
            }

            var now = action.Snapshot();
            return Task.FromResult<IResult>(Component<BulkProgressPage>(new
            {
                Frame = frame with { RefreshSeconds = now.State == BulkActionState.Running ? 2 : null },
                Action = now,
            }));
        });

    private static Task<IResult> SchedulesAsync(HttpContext context, PageFrames frames, IJobClient client, IAdminStore store, string? tenant, string? cursor, string? note) =>
        ShowAsync(context, frames, tenant, note, null, async frame =>
        {
            if (frame.Tenant is null)
            {
                return ChooseTenant(frame, "Recurring jobs");
            }

            var schedules = await client.ListSchedulesAsync(frame.Tenant, SchedulesPerPage, cursor, context.RequestAborted);
            var upcoming = schedules.Items.ToDictionary(s => s.Definition.Id, s => NextRuns(s.Definition, frame.Now));
            var lastJobs = await Task.WhenAll(schedules.Items.Where(s => s.LastJobId is not null).Select(s => store.GetJobAsync(frame.Tenant, s.LastJobId!.Value, context.RequestAborted)));
            var outcomes = lastJobs.OfType<JobInfo>().ToDictionary(j => j.Id, j => j.State);
            return Component<SchedulesPage>(new { Frame = frame, Schedules = schedules, Upcoming = upcoming, LastOutcomes = outcomes });
        });

    private static Task<IResult> QueueJobsAsync(HttpContext context, PageFrames frames, IAdminStore store, IQueueReadStore reads, IJobClient client, string jobType, string? tenant, string? state, string? from, string? to, string? cursor) =>
        ShowAsync(context, frames, tenant, null, null, async frame =>
        {
            if (frame.Tenant is null)
            {
                return ChooseTenant(frame, "Queue");
            }

            JobValidator.ValidateName(jobType, "jobType");
            var shown = Format.ParseState(state);
            var window = DeadLetterFilters.Parse(null, null, from, to);
            var page = await store.ListJobsAsync(
                new JobListing(new QueueKey(frame.Tenant, jobType), shown, cursor, JobsPerPage) { CreatedFrom = window.From, CreatedTo = window.To }, context.RequestAborted);
            var (stats, handled) = await QueueStatsLookup.GetAsync(client, reads, new QueueKey(frame.Tenant, jobType), frame.Now, context.RequestAborted);
            var policy = handled
                ? JsonSerializer.Serialize(await client.GetQueuePolicyAsync(frame.Tenant, jobType, context.RequestAborted), PolicyJson)
                : "No silo of this cluster handles this job type, so it has no policy; its jobs wait, and its dead letters can be replayed once a handler is back.";
            return Component<QueueJobsPage>(new
            {
                Frame = frame,
                Stats = stats,
                State = shown,
                CreatedFrom = window.From,
                CreatedTo = window.To,
                Page = new QueueJobs(page.Jobs, page.Next),
                Policy = policy,
            });
        });

    /// <summary>For admins: tenants with jobs, a page at a time, and every key.</summary>
    private static Task<IResult> TenantsAsync(HttpContext context, PageFrames frames, IAdminStore store, IJobClient client, OrleansJobs.Security.IApiKeyStore keys, string? tenant, string? after, string? note, string? failed) =>
        ShowAsync(context, frames, tenant, note, failed, async frame =>
        {
            if (!frame.IsAdmin)
            {
                return Component<ProblemPage>(new { Frame = frame, Title = "Not allowed", Text = "Tenants and keys are for admins." }, StatusCodes.Status403Forbidden);
            }

            var names = await store.ListTenantsAsync(after is { Length: > 0 } ? after : null, TenantsPerPage + 1, context.RequestAborted);
            var shown = names.Take(TenantsPerPage).ToList();
            var statuses = await Task.WhenAll(shown.Select(t => client.GetTenantStatusAsync(t, context.RequestAborted)));
            return Component<TenantsPage>(new
            {
                Frame = frame,
                Tenants = statuses,
                Queues = await store.CountQueuesAsync(shown, context.RequestAborted),
                NextTenants = names.Count > TenantsPerPage ? shown[^1] : null,
                Keys = await keys.ListApiKeysAsync(null, context.RequestAborted),
            });
        });

    /// <summary>A schedule's next occurrences (up to three); none when its definition no longer parses.</summary>
    private static IReadOnlyList<DateTimeOffset> NextRuns(RecurringJob schedule, DateTimeOffset now)
    {
        var runs = new List<DateTimeOffset>(3);
        try
        {
            var cron = CronSchedule.Parse(schedule.Cron, schedule.TimeZone, now);
            for (var at = cron.NextAfter(now); at is { } next && runs.Count < 3; at = cron.NextAfter(next))
            {
                runs.Add(next);
            }
        }
        catch (JobValidationException)
        {
            // Stored by an older version with rules that have since changed: the scheduler reports it.
        }

        return runs;
    }

    private static Task<IResult> JobAsync(HttpContext context, PageFrames frames, IAdminStore store, string id, string? tenant, string? note, string? failed) =>
        ShowAsync(context, frames, tenant, note, failed, async frame =>
        {
            var jobId = JobId.TryParse(id, out var parsed) ? parsed : throw new JobValidationException("id", "invalid_id", "is not a job id.");
            var owner = frame.Tenant ?? await store.GetJobTenantAsync(jobId, context.RequestAborted);
            if (owner is null || await store.GetJobDetailAsync(owner, jobId, context.RequestAborted) is not { } detail)
            {
                return Component<ProblemPage>(new { Frame = frame, Title = "No such job", Text = $"No job {jobId} {(frame.Tenant is { } t ? $"in tenant {t}" : "in any tenant")}." }, StatusCodes.Status404NotFound);
            }

            return Component<JobPage>(new
            {
                Frame = frame with { Tenant = frame.IsAdmin ? owner : frame.Tenant },
                Job = detail.Job,
                Payload = Pretty(detail.Payload),
                Errors = detail.Errors,
                TraceId = detail.TraceParent?.Split('-') is [_, var traceId, _, _] ? traceId : null,
            });
        });

    /// <summary>The search box: a job id, or an idempotency key the tenant shown holds, goes to that job's page.</summary>
    private static Task<IResult> FindAsync(HttpContext context, PageFrames frames, IAdminStore store, string? id, string? tenant) =>
        ShowAsync(context, frames, tenant, null, null, async frame =>
        {
            var text = id?.Trim() ?? "";
            if (JobId.TryParse(text, out var jobId))
            {
                return TypedResults.Redirect(frame.Link($"/job/{jobId}"));
            }

            if (frame.Tenant is null || text.Length == 0)
            {
                throw new JobValidationException("id", "invalid_id", "is not a job id (a UUID v7 such as 0193a4f2-7c1e-7d2a-9b1e-3f0c2d4e5a6b); choose a tenant to look for an idempotency key.");
            }

            return await store.FindByIdempotencyKeyAsync(frame.Tenant, text, context.RequestAborted) is { } keyed
                ? TypedResults.Redirect(frame.Link($"/job/{keyed}"))
                : Component<ProblemPage>(new { Frame = frame, Title = "No such job", Text = $"No job id, and no idempotency key held in tenant {frame.Tenant}, is “{text}”." }, StatusCodes.Status404NotFound);
        });

    /// <summary>
    /// Builds the frame and the page. A caller that may not see pages gets 403; input that is not valid
    /// gets the page's frame with a 400 naming the field, never an error page without a way back.
    /// </summary>
    internal static async Task<IResult> ShowAsync(HttpContext context, PageFrames frames, string? tenant, string? note, string? error, Func<PageFrame, Task<IResult>> page)
    {
        PageFrame? frame;
        try
        {
            frame = await frames.ForAsync(context, tenant, note ?? error, noteIsError: note is null && error is not null);
        }
        catch (JobValidationException invalid)
        {
            return Component<ProblemPage>(new { Title = "Not valid", Text = invalid.Message }, StatusCodes.Status400BadRequest);
        }

        if (frame is null)
        {
            return Component<ProblemPage>(new { Title = "Not allowed", Text = "These pages need an operator or admin key." }, StatusCodes.Status403Forbidden);
        }

        try
        {
            return await page(frame);
        }
        catch (JobValidationException invalid)
        {
            return Component<ProblemPage>(new { Frame = frame, Title = "Not valid", Text = invalid.Message }, StatusCodes.Status400BadRequest);
        }
    }

    private static IResult ChooseTenant(PageFrame frame, string title) =>
        Component<ProblemPage>(new { Frame = frame, Title = title, Text = "Choose a tenant above: this page shows one tenant at a time." });

    public static RazorComponentResult<T> Component<T>(object parameters, int? status = null)
        where T : Microsoft.AspNetCore.Components.IComponent =>
        new(parameters) { StatusCode = status, PreventStreamingRendering = true };

    /// <summary>The payload indented when it is JSON; as text otherwise.</summary>
    private static string Pretty(byte[] payload)
    {
        try
        {
            using var document = JsonDocument.Parse(payload);
            return JsonSerializer.Serialize(document.RootElement, Indented);
        }
        catch (JsonException)
        {
            return Encoding.UTF8.GetString(payload);
        }
    }

    private static readonly JsonSerializerOptions PolicyJson = new(ApiJson.Options) { WriteIndented = true, DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
