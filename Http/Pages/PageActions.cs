using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OrleansJobs.Diagnostics;
using OrleansJobs.Http.Security;
using OrleansJobs.Security;
using OrleansJobs.Storage;

namespace OrleansJobs.Http.Pages;

/// <summary>
/// What the pages' buttons do: sign in and out, replay, cancel, pause and resume. Each posts a form with
/// its antiforgery token, is checked against the same rights as the HTTP API, is logged with who did it,
/// and sends the browser back to a page that says what happened.
/// </summary>
internal static partial class PageActions
{
    public static void Map(RouteGroupBuilder pages, string root)
    {
        pages.MapPost("/login", async (HttpContext context, IAntiforgery antiforgery, ApiKeyAuthenticator keys) =>
        {
            await antiforgery.ValidateRequestAsync(context);
            var form = await context.Request.ReadFormAsync();
            var returnUrl = LocalOrDefault(form["returnUrl"], root);
            var key = form["key"].ToString().Trim();
            var caller = await keys.AuthenticateAsync(key, context.RequestAborted);
            if (caller is null || caller.Role == ApiKeyRole.Producer)
            {
                return Results.Redirect($"{root}/login?error=1&returnUrl={Uri.EscapeDataString(returnUrl)}");
            }

            context.Response.Cookies.Append(ApiKeyAuthenticationHandler.Cookie, key, new CookieOptions
            {
                HttpOnly = true,
                SameSite = SameSiteMode.Strict,
                Secure = context.Request.IsHttps,
                MaxAge = TimeSpan.FromHours(12),
            });
            return Results.Redirect(returnUrl);
        });

        pages.MapPost("/logout", async (HttpContext context, IAntiforgery antiforgery) =>
        {
            await antiforgery.ValidateRequestAsync(context);
            context.Response.Cookies.Delete(ApiKeyAuthenticationHandler.Cookie);
            return Results.Redirect($"{root}/login");
        });

        var signedIn = pages.MapGroup("").RequireAuthorization(HttpApiExtensions.PagesPolicy);

        signedIn.MapPost("/replay", (HttpContext context, IJobClient client, ILogger<PageFrames> logger) => ActAsync(context, async (form, caller, tenant) =>
        {
            var id = JobId.TryParse(form["id"], out var parsed) ? parsed : throw new JobValidationException("id", "invalid_id", "is not a job id.");
            var replayed = await client.ReplayAsync(tenant, id, context.RequestAborted);
            LogAction(logger, caller.KeyId, caller.Role, replayed ? "replayed" : "tried to replay (no longer dead)", $"job {id}", tenant);
            var text = replayed ? $"Job {id} was put back in its queue." : $"Job {id} is no longer dead-lettered; nothing was replayed.";
            return Back(root, form["back"] == "job" ? $"/job/{id}" : "/dead", tenant, text, replayed);
        }));

        signedIn.MapPost("/dead/replay", (HttpContext context, IJobClient client, IAdminStore store, BulkActions bulk, ILogger<PageFrames> logger) => ActAsync(context, async (form, caller, tenant) =>
        {
            var filter = DeadLetterFilters.Parse(form["jobType"], form["error"], form["from"], form["to"]);
            var expected = await store.CountDeadAsync(tenant, filter, PageEndpoints.CountLimit, context.RequestAborted);
            var action = bulk.Start(tenant, "replay", filter, expected, caller.KeyId, (f, n, ct) => client.ReplayAsync(tenant, f, n, ct));
            LogAction(logger, caller.KeyId, caller.Role, "started replaying", $"about {expected} dead letters matching {filter}", tenant);
            return Results.Redirect($"{root}/bulk/{action.Id}?tenant={Uri.EscapeDataString(tenant)}");
        }));

        signedIn.MapPost("/dead/delete", (HttpContext context, IAdminStore store, BulkActions bulk, ILogger<PageFrames> logger) => ActAsync(context, async (form, caller, tenant) =>
        {
            var filter = DeadLetterFilters.Parse(form["jobType"], form["error"], form["from"], form["to"]);
            Confirmed(form, "delete");
            var expected = await store.CountDeadAsync(tenant, filter, PageEndpoints.CountLimit, context.RequestAborted);
            var action = bulk.Start(tenant, "delete", filter, expected, caller.KeyId, (f, n, ct) => store.DeleteJobsAsync(new FinishedJobsDeletion(tenant, null, f, n), ct));
            LogAction(logger, caller.KeyId, caller.Role, "started deleting", $"about {expected} dead letters matching {filter}", tenant);
            return Results.Redirect($"{root}/bulk/{action.Id}?tenant={Uri.EscapeDataString(tenant)}");
        }));

        signedIn.MapPost("/bulk/{id:guid}/stop", (HttpContext context, Guid id, BulkActions bulk, ILogger<PageFrames> logger) => ActAsync(context, (form, caller, tenant) =>
        {
            if (bulk.Find(id) is not { } action || action.Tenant != tenant)
            {
                return Task.FromResult(Back(root, "/dead", tenant, "No such bulk action; nothing was stopped.", ok: false));
            }

            action.Stop();
            LogAction(logger, caller.KeyId, caller.Role, "stopped", $"bulk {action.Kind} {id}", tenant);
            return Task.FromResult(Results.Redirect($"{root}/bulk/{id}?tenant={Uri.EscapeDataString(tenant)}"));
        }));

        signedIn.MapPost("/delete", (HttpContext context, IAdminStore store, ILogger<PageFrames> logger) => ActAsync(context, async (form, caller, tenant) =>
        {
            var id = JobId.TryParse(form["id"], out var parsed) ? parsed : throw new JobValidationException("id", "invalid_id", "is not a job id.");
            Confirmed(form, "delete");
            var type = (await store.GetJobAsync(tenant, id, context.RequestAborted))?.JobType;
            var deleted = await store.DeleteJobsAsync(new FinishedJobsDeletion(tenant, id, new DeadLetterFilter(), 1), context.RequestAborted) == 1;
            LogAction(logger, caller.KeyId, caller.Role, deleted ? "deleted" : "tried to delete (not finished)", $"job {id}", tenant);
            return deleted
                ? Back(root, type is null ? "" : $"/queue/{type}", tenant, $"Job {id} was deleted.", ok: true)
                : Back(root, $"/job/{id}", tenant, $"Job {id} has not finished (or is gone); nothing was deleted. Cancel it first.", ok: false);
        }));

        signedIn.MapPost("/cancel", (HttpContext context, IJobClient client, ILogger<PageFrames> logger) => ActAsync(context, async (form, caller, tenant) =>
        {
            var id = JobId.TryParse(form["id"], out var parsed) ? parsed : throw new JobValidationException("id", "invalid_id", "is not a job id.");
            Confirmed(form, "cancel");
            var cancelled = await client.CancelAsync(tenant, id, context.RequestAborted);
            LogAction(logger, caller.KeyId, caller.Role, cancelled ? "cancelled" : "tried to cancel (already finished)", $"job {id}", tenant);
            return Back(root, $"/job/{id}", tenant, cancelled ? $"Job {id} was cancelled." : $"Job {id} had already finished; nothing was cancelled.", cancelled);
        }));

        // Run a recurring job's job now, beside its schedule: the same type, payload, priority, attempts and timeout.
        signedIn.MapPost("/schedules/run", (HttpContext context, IJobClient client, ILogger<PageFrames> logger) => ActAsync(context, async (form, caller, tenant) =>
        {
            var id = form["schedule"].ToString();
            if (await client.GetScheduleAsync(tenant, id, context.RequestAborted) is not { Definition: var schedule })
            {
                return Back(root, "/schedules", tenant, $"No recurring job {id}; nothing was run.", ok: false);
            }

            var options = new EnqueueOptions { Priority = schedule.Priority, MaxAttempts = schedule.MaxAttempts, Timeout = schedule.Timeout };
            var job = (await client.EnqueueManyAsync([new JobRequest(tenant, schedule.JobType, schedule.Payload, options)], context.RequestAborted))[0];
            LogAction(logger, caller.KeyId, caller.Role, "ran now", $"recurring job {id} as job {job}", tenant);
            return Back(root, $"/job/{job}", tenant, $"Recurring job {id} was run now as job {job}.", ok: true);
        }));

        signedIn.MapPost("/schedules/delete", (HttpContext context, IJobClient client, ILogger<PageFrames> logger) => ActAsync(context, async (form, caller, tenant) =>
        {
            var id = form["schedule"].ToString();
            Confirmed(form, "delete");
            var deleted = await client.DeleteScheduleAsync(tenant, id, context.RequestAborted);
            LogAction(logger, caller.KeyId, caller.Role, deleted ? "deleted" : "tried to delete (not found)", $"recurring job {id}", tenant);
            return Back(root, "/schedules", tenant, deleted ? $"Recurring job {id} was deleted." : $"No recurring job {id}; nothing was deleted.", deleted);
        }));

        // Keys, for admins: the secret of a new one is shown on the page this answers with, never put in an address.
        signedIn.MapPost("/keys/create", (HttpContext context, IApiKeyStore keys, PageFrames frames, TimeProvider time, ILogger<PageFrames> logger) => AdminAsync(context, async (form, caller) =>
        {
            var role = form["role"].ToString() switch
            {
                "producer" => ApiKeyRole.Producer,
                "operator" => ApiKeyRole.Operator,
                "admin" => ApiKeyRole.Admin,
                _ => throw new JobValidationException("role", "out_of_range", "must be producer, operator or admin."),
            };
            var tenant = form["tenant"].ToString().Trim() is { Length: > 0 } named ? named : null;
            if (role == ApiKeyRole.Admin ? tenant is not null : tenant is null)
            {
                throw new JobValidationException("tenant", role == ApiKeyRole.Admin ? "not_allowed" : "required", "admin keys have no tenant; producer and operator keys need one.");
            }

            if (tenant is not null)
            {
                JobValidator.ValidateName(tenant, "tenant");
            }

            var name = form["name"].ToString().Trim();
            if (name.Length is 0 or > 200)
            {
                throw new JobValidationException("name", "invalid", "a name of 1 to 200 characters is required, to tell keys apart.");
            }

            var (id, secret, hash) = ApiKeySecrets.Create();
            await keys.CreateApiKeyAsync(new ApiKeyRecord(id, tenant, role, name, hash, time.GetUtcNow(), null), context.RequestAborted);
            LogAction(logger, caller.KeyId, caller.Role, "made", $"{role} key {id} ({name})", tenant ?? "(all)");
            var frame = (await frames.ForAsync(context, null))!;
            return PageEndpoints.Component<Components.KeyMadePage>(new { Frame = frame, Id = id, Secret = secret, Tenant = tenant, Role = role.ToString().ToLowerInvariant(), Name = name });
        }));

        signedIn.MapPost("/keys/revoke", (HttpContext context, IApiKeyStore keys, ApiKeyAuthenticator authenticator, TimeProvider time, ILogger<PageFrames> logger) => AdminAsync(context, async (form, caller) =>
        {
            var id = form["id"].ToString();
            Confirmed(form, "revoke");

            var revoked = await keys.RevokeApiKeyAsync(id, time.GetUtcNow(), context.RequestAborted);
            if (revoked)
            {
                authenticator.Forget(id);
            }

            LogAction(logger, caller.KeyId, caller.Role, revoked ? "revoked" : "tried to revoke (not live)", $"key {id}", "(all)");
            return Results.Redirect($"{root}/tenants?{(revoked ? "note" : "failed")}={Uri.EscapeDataString(revoked ? $"Key {id} was revoked." : $"There is no live key {id}.")}");
        }));

        // Pause or resume one queue (a job type given), a recurring job (a schedule given) or the whole tenant.
        signedIn.MapPost("/pause", (HttpContext context, IJobClient client, ILogger<PageFrames> logger) => ActAsync(context, async (form, caller, tenant) =>
        {
            var jobType = form["jobType"].ToString();
            var schedule = form["schedule"].ToString();
            var pause = form["action"] == "pause";
            if (schedule.Length > 0)
            {
                _ = pause ? await client.PauseScheduleAsync(tenant, schedule, context.RequestAborted) : await client.ResumeScheduleAsync(tenant, schedule, context.RequestAborted);
            }
            else if (jobType.Length > 0)
            {
                _ = pause ? await client.PauseQueueAsync(tenant, jobType, context.RequestAborted) : await client.ResumeQueueAsync(tenant, jobType, context.RequestAborted);
            }
            else
            {
                _ = pause ? await client.PauseTenantAsync(tenant, context.RequestAborted) : await client.ResumeTenantAsync(tenant, context.RequestAborted);
            }

            var what = schedule.Length > 0 ? $"Recurring job {schedule}" : jobType.Length > 0 ? $"Queue {tenant}/{jobType}" : $"Tenant {tenant}";
            LogAction(logger, caller.KeyId, caller.Role, pause ? "paused" : "resumed", what, tenant);
            var text = $"{what} {(pause ? "is paused: it takes jobs and starts none" : "is resumed")}.";
            return Back(root, schedule.Length > 0 ? "/schedules" : "", tenant, text, ok: true);
        }));
    }

    /// <summary>Only a path on this site may be a redirect target, never another host.</summary>
    public static string LocalOrDefault(string? url, string root) =>
        url is { Length: > 0 } && url[0] == '/' && !url.StartsWith("//", StringComparison.Ordinal) && !url.StartsWith("/\\", StringComparison.Ordinal) ? url : root;

    /// <summary>
    /// Checks the form's token and the caller's right to act on the form's tenant, then acts. Input that is
    /// not valid sends the browser back with the field named; nothing is done then.
    /// </summary>
    private static async Task<IResult> ActAsync(HttpContext context, Func<IFormCollection, ApiCaller, string, Task<IResult>> act)
    {
        var (form, signedIn) = await PostedAsync(context);
        var tenant = form["tenant"].ToString();
        if (signedIn is not { } caller || !caller.May(tenant, ApiKeyRole.Operator))
        {
            return Results.StatusCode(StatusCodes.Status403Forbidden);
        }

        var root = context.RequestServices.GetRequiredService<PageFrames>().Root;
        try
        {
            JobValidator.ValidateName(tenant, "tenant");
            return await act(form, caller, tenant);
        }
        catch (JobValidationException invalid)
        {
            return Back(root, "", tenant, invalid.Message, ok: false);
        }
    }

    /// <summary>Checks the form's token and that an admin pressed the button, then acts; input that is not valid goes back to the tenants page with the field named.</summary>
    private static async Task<IResult> AdminAsync(HttpContext context, Func<IFormCollection, ApiCaller, Task<IResult>> act)
    {
        var (form, signedIn) = await PostedAsync(context);
        if (signedIn is not { Role: ApiKeyRole.Admin } caller)
        {
            return Results.StatusCode(StatusCodes.Status403Forbidden);
        }

        try
        {
            return await act(form, caller);
        }
        catch (JobValidationException invalid)
        {
            var root = context.RequestServices.GetRequiredService<PageFrames>().Root;
            return Results.Redirect($"{root}/tenants?failed={Uri.EscapeDataString(invalid.Message)}");
        }
    }

    /// <summary>The posted form, once its antiforgery token is checked, and who is signed in (null for nobody the pages know).</summary>
    private static async Task<(IFormCollection Form, ApiCaller? Caller)> PostedAsync(HttpContext context)
    {
        await context.RequestServices.GetRequiredService<IAntiforgery>().ValidateRequestAsync(context);
        var form = await context.Request.ReadFormAsync();
        return (form, context.RequestServices.GetRequiredService<CallerResolver>().FromUser(context.User));
    }

    /// <summary>Actions that cannot be undone need their box ticked.</summary>
    private static void Confirmed(IFormCollection form, string action)
    {
        if (form["confirm"] != "yes")
        {
            throw new JobValidationException("confirm", "required", $"tick the box to confirm the {action}.");
        }
    }

    private static IResult Back(string root, string path, string tenant, string text, bool ok) =>
        Results.Redirect($"{root}{path}?tenant={Uri.EscapeDataString(tenant)}&{(ok ? "note" : "failed")}={Uri.EscapeDataString(text)}");

    private static void LogAction(ILogger logger, string keyId, ApiKeyRole role, string action, string what, string tenant) =>
        LogTaken(logger, keyId, role, action, what, tenant);

    [LoggerMessage(EventId = (int)LogEvents.PageActionTaken, Level = LogLevel.Information, Message = "Key {KeyId} ({Role}) {Action} {What} of tenant {Tenant} on the jobs pages")]
    private static partial void LogTaken(ILogger logger, string keyId, ApiKeyRole role, string action, string what, string tenant);
}
