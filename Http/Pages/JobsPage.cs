using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OrleansJobs.Http.Security;
using OrleansJobs.Security;
using OrleansJobs.Storage;
using static OrleansJobs.Http.Pages.Html;

namespace OrleansJobs.Http.Pages;

/// <summary>
/// The operators' page at <see cref="HttpApiOptions.PagesPath"/> (<c>/jobs</c>): every queue's backlog, oldest waiting job, pace, dead
/// letters and drain time, and the dead-letter queue with a replay button. Server-rendered, no
/// scripts. Sign-in takes an operator key (one tenant) or an admin key (any tenant).
/// </summary>
internal static class JobsPage
{
    /// <summary>The page's root (<see cref="HttpApiOptions.PagesPath"/>); login, logout and replay live below it.</summary>
    private static string Root(HttpContext context) => context.RequestServices.GetRequiredService<IOptions<HttpApiOptions>>().Value.PagesPath;

    public static string LoginPath(string root) => root + "/login";

    /// <summary>Most queues one page reads stats for.</summary>
    private const int MaxQueues = 200;

    /// <summary>Most recurring jobs the page lists.</summary>
    private const int MaxSchedules = 50;

    public static void Map(IEndpointRouteBuilder endpoints, string root)
    {
        // Pages are for people: they stay out of every OpenAPI document, the host's included.
        var pages = endpoints.MapGroup(root).ExcludeFromDescription();
        pages.MapGet("/login", (HttpContext context, IAntiforgery antiforgery, string? returnUrl, string? error) =>
            Results.Content(LoginForm(context, antiforgery, returnUrl, error), "text/html; charset=utf-8"));

        pages.MapPost("/login", async (HttpContext context, IAntiforgery antiforgery, ApiKeyAuthenticator keys) =>
        {
            await antiforgery.ValidateRequestAsync(context);
            var form = await context.Request.ReadFormAsync();
            var returnUrl = LocalOrDefault(form["returnUrl"], root);
            var caller = await keys.AuthenticateAsync(form["key"].ToString().Trim(), context.RequestAborted);
            if (caller is null || caller.Role == ApiKeyRole.Producer)
            {
                return Results.Redirect($"{LoginPath(root)}?error=1&returnUrl={Uri.EscapeDataString(returnUrl)}");
            }

            context.Response.Cookies.Append(ApiKeyAuthenticationHandler.Cookie, form["key"].ToString().Trim(), new CookieOptions
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
            return Results.Redirect(LoginPath(root));
        });

        pages.MapGet("", RenderAsync).RequireAuthorization(HttpApiExtensions.PagesPolicy);

        pages.MapPost("/replay", async (HttpContext context, IAntiforgery antiforgery, IJobClient client, CallerResolver callers) =>
        {
            await antiforgery.ValidateRequestAsync(context);
            var form = await context.Request.ReadFormAsync();
            var tenant = form["tenant"].ToString();
            if (callers.FromUser(context.User) is not { } caller || !caller.May(tenant, ApiKeyRole.Operator))
            {
                return Results.StatusCode(StatusCodes.Status403Forbidden);
            }

            var replayed = JobId.TryParse(form["id"], out var id) && await client.ReplayAsync(tenant, id, context.RequestAborted);
            return Results.Redirect($"{root}?tenant={Uri.EscapeDataString(tenant)}&{(replayed ? "replayed" : "notReplayed")}={Uri.EscapeDataString(form["id"].ToString())}");
        }).RequireAuthorization(HttpApiExtensions.PagesPolicy);

        // Pause or resume one queue (a job type given) or the whole tenant, with the rights the HTTP API asks.
        pages.MapPost("/pause", async (HttpContext context, IAntiforgery antiforgery, IJobClient client, CallerResolver callers) =>
        {
            await antiforgery.ValidateRequestAsync(context);
            var form = await context.Request.ReadFormAsync();
            var tenant = form["tenant"].ToString();
            var jobType = form["jobType"].ToString();
            var schedule = form["schedule"].ToString();
            var pause = form["action"] == "pause";
            if (callers.FromUser(context.User) is not { } caller || !caller.May(tenant, ApiKeyRole.Operator))
            {
                return Results.StatusCode(StatusCodes.Status403Forbidden);
            }

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

            var what = schedule.Length > 0 ? $"Schedule {tenant}/{schedule}" : jobType.Length > 0 ? $"{tenant}/{jobType}" : tenant;
            return Results.Redirect($"{root}?tenant={Uri.EscapeDataString(tenant)}&{(pause ? "paused" : "resumed")}={Uri.EscapeDataString(what)}");
        }).RequireAuthorization(HttpApiExtensions.PagesPolicy);
    }

    private static async Task<IResult> RenderAsync(
        HttpContext context, IAntiforgery antiforgery, IJobClient client, IQueueReadStore store, CallerResolver callers,
        string? tenant, string? cursor, string? replayed, string? notReplayed, string? paused, string? resumed, int? refresh)
    {
        var caller = callers.FromUser(context.User)!;
        var root = Root(context);
        if (caller.Role == ApiKeyRole.Producer)
        {
            return Results.Content(Page("Not allowed", "<p class=\"error\">This page needs an operator or admin key.</p>"), "text/html; charset=utf-8", statusCode: 403);
        }

        tenant = caller.Role == ApiKeyRole.Admin ? (string.IsNullOrWhiteSpace(tenant) ? null : tenant.Trim()) : caller.Tenant;
        if (tenant is not null)
        {
            JobValidator.ValidateName(tenant, "tenant");
        }

        var token = antiforgery.GetAndStoreTokens(context);
        var body = new StringBuilder();
        body.Append(CultureInfo.InvariantCulture, $"<h1>Jobs{(tenant is null ? "" : $" · {E(tenant)}")}</h1>");
        body.Append(CultureInfo.InvariantCulture, $"<p class=\"muted\">Signed in as {E(caller.Role.ToString().ToLowerInvariant())}{(caller.Tenant is null ? "" : $" of {E(caller.Tenant)}")}. ");
        body.Append(CultureInfo.InvariantCulture, $"<form class=\"inline\" method=\"post\" action=\"{root}/logout\"><input type=\"hidden\" name=\"{E(token.FormFieldName)}\" value=\"{E(token.RequestToken)}\"><button>Sign out</button></form>");
        if (caller.Role == ApiKeyRole.Admin)
        {
            body.Append(CultureInfo.InvariantCulture, $" · <a href=\"/dashboard\">Orleans dashboard</a></p><form method=\"get\" action=\"{root}\">Tenant <input name=\"tenant\" value=\"{E(tenant)}\"> <button>Show</button></form>");
        }
        else
        {
            body.Append("</p>");
        }

        if (replayed is not null)
        {
            body.Append(CultureInfo.InvariantCulture, $"<p class=\"note\" id=\"message\">Job {E(replayed)} was put back in its queue.</p>");
        }
        else if (notReplayed is not null)
        {
            body.Append(CultureInfo.InvariantCulture, $"<p class=\"error\" id=\"message\">Job {E(notReplayed)} is no longer dead-lettered; nothing was replayed.</p>");
        }
        else if ((paused ?? resumed) is { } changed)
        {
            body.Append(CultureInfo.InvariantCulture, $"<p class=\"note\" id=\"message\">{E(changed)} {(paused is not null ? "is paused: it takes jobs and starts none" : "is resumed")}.</p>");
        }

        if (tenant is not null)
        {
            var status = await client.GetTenantStatusAsync(tenant, context.RequestAborted);
            body.Append(CultureInfo.InvariantCulture, $"<p id=\"tenant-state\">Tenant {E(tenant)}: {(status.Paused ? $"<strong>paused</strong> since {status.PausedAt:u}" : "running")} ");
            body.Append(PauseForm(root, token, tenant, null, !status.Paused)).Append("</p>");
        }

        DeadLetterPage? dead = null;
        if (tenant is not null)
        {
            dead = await client.ListDeadLettersAsync(tenant, null, 50, cursor is not null && JobId.TryParse(cursor, out var after) ? after : null, context.RequestAborted);
        }

        var queues = (await store.ListQueuesWithPendingWorkAsync(context.RequestAborted))
            .Where(q => tenant is null || q.Tenant == tenant)
            .Concat(dead?.Jobs.Select(j => new QueueKey(j.Tenant, j.JobType)) ?? [])
            .Distinct()
            .OrderBy(q => q.ToString(), StringComparer.Ordinal)
            .Take(MaxQueues)
            .ToList();
        var stats = await Task.WhenAll(queues.Select(q => client.GetQueueStatsAsync(q.Tenant, q.JobType, context.RequestAborted)));

        body.Append("<h2>Queues</h2>");
        if (stats.Length == 0)
        {
            body.Append("<p class=\"muted\">No queue has waiting, running or dead-lettered jobs.</p>");
        }
        else
        {
            body.Append("<table id=\"queues\"><tr><th>Queue</th><th>State</th><th>Limit</th><th>Backlog</th><th>Scheduled</th><th>Running</th><th>Oldest waiting</th><th>Done/s</th><th>Dead letters</th><th>Drain time</th><th></th></tr>");
            foreach (var q in stats)
            {
                body.Append(CultureInfo.InvariantCulture, $"<tr data-queue=\"{E(q.Tenant)}/{E(q.JobType)}\"><td>{E(q.Tenant)}/{E(q.JobType)}</td><td>{State(q)}</td><td class=\"n\">{q.ConcurrencyLimit}</td><td class=\"n\">{q.Enqueued}</td><td class=\"n\">{q.Scheduled}</td><td class=\"n\">{q.Active}</td>");
                body.Append(CultureInfo.InvariantCulture, $"<td class=\"n\">{(q.OldestWaiting is { } age ? Duration(age) : "–")}</td><td class=\"n\">{Number(q.CompletedPerSecond)}</td><td class=\"n\">{q.DeadLettered}</td><td class=\"n\">{Duration(q.DrainTime)}</td><td>{PauseForm(root, token, q.Tenant, q.JobType, !q.Paused)}</td></tr>");
            }

            body.Append("</table>");
        }

        if (tenant is not null)
        {
            await AppendSchedulesAsync(body, client, root, token, tenant, context.RequestAborted);
        }

        if (dead is not null)
        {
            body.Append("<h2>Dead letters</h2>");
            if (dead.Jobs.Count == 0)
            {
                body.Append("<p class=\"muted\">None.</p>");
            }
            else
            {
                body.Append("<table id=\"dead-letters\"><tr><th>Job</th><th>Type</th><th>Dead since</th><th>Attempts</th><th>Last error</th><th></th></tr>");
                foreach (var job in dead.Jobs)
                {
                    body.Append(CultureInfo.InvariantCulture, $"<tr data-job-id=\"{job.Id}\"><td><code>{job.Id}</code></td><td>{E(job.JobType)}</td><td>{job.FinishedAt:u}</td><td class=\"n\">{job.Attempt}/{job.MaxAttempts}</td><td>{E(job.LastError)}</td>");
                    body.Append(CultureInfo.InvariantCulture, $"<td><form method=\"post\" action=\"{root}/replay\"><input type=\"hidden\" name=\"{E(token.FormFieldName)}\" value=\"{E(token.RequestToken)}\"><input type=\"hidden\" name=\"tenant\" value=\"{E(job.Tenant)}\"><input type=\"hidden\" name=\"id\" value=\"{job.Id}\"><button id=\"replay-{job.Id}\">Replay</button></form></td></tr>");
                }

                body.Append("</table>");
                if (dead.NextCursor is { } next)
                {
                    body.Append(CultureInfo.InvariantCulture, $"<p><a href=\"{root}?tenant={Uri.EscapeDataString(tenant!)}&cursor={next}\">Older →</a></p>");
                }
            }
        }
        else
        {
            body.Append("<p class=\"muted\">Choose a tenant to see its dead letters.</p>");
        }

        return Results.Content(Page("Jobs", body.ToString(), refresh is >= 2 ? refresh : null), "text/html; charset=utf-8");
    }

    /// <summary>What a queue is doing, in words: paused (itself or its tenant), held by its breaker, backing off, or running.</summary>
    private static string State(QueueStats q) => q switch
    {
        { Paused: true } => "paused",
        { TenantPaused: true } => "tenant paused",
        { Breaker: BreakerState.Open } => $"breaker open until {q.BreakerOpenUntil:u}",
        { Breaker: BreakerState.HalfOpen } => "breaker probing",
        { BackingOffUntil: { } until } => $"backing off until {until:u}",
        _ => "running",
    };

    /// <summary>The tenant's recurring jobs (the first <see cref="MaxSchedules"/>), each with when it fires next and a Pause or Resume button.</summary>
    private static async Task AppendSchedulesAsync(StringBuilder body, IJobClient client, string root, AntiforgeryTokenSet token, string tenant, CancellationToken cancellationToken)
    {
        var schedules = await client.ListSchedulesAsync(tenant, MaxSchedules, cancellationToken: cancellationToken);
        body.Append("<h2>Recurring jobs</h2>");
        if (schedules.Items.Count == 0)
        {
            body.Append("<p class=\"muted\">None.</p>");
            return;
        }

        body.Append("<table id=\"schedules\"><tr><th>Schedule</th><th>Type</th><th>Cron</th><th>Time zone</th><th>State</th><th>Next</th><th>Last</th><th></th></tr>");
        foreach (var s in schedules.Items)
        {
            var d = s.Definition;
            body.Append(CultureInfo.InvariantCulture, $"<tr data-schedule=\"{E(d.Id)}\"><td>{E(d.Id)}</td><td>{E(d.JobType)}</td><td><code>{E(d.Cron)}</code></td><td>{E(d.TimeZone)}</td>");
            body.Append(CultureInfo.InvariantCulture, $"<td>{(s.PausedAt is { } since ? $"paused since {since:u}" : "active")}</td><td>{(s.PausedAt is null ? $"{s.NextOccurrence:u}" : "–")}</td><td>{(s.LastOccurrence is { } last ? $"{last:u}" : "–")}</td>");
            body.Append(CultureInfo.InvariantCulture, $"<td>{PauseForm(root, token, tenant, null, s.PausedAt is null, d.Id)}</td></tr>");
        }

        body.Append("</table>");
        if (schedules.NextCursor is not null)
        {
            body.Append(CultureInfo.InvariantCulture, $"<p class=\"muted\">The first {MaxSchedules} are shown; <code>GET /v1/tenants/{{tenant}}/schedules</code> lists them all.</p>");
        }
    }

    /// <summary>A Pause or Resume button for a queue (a job type given), a recurring schedule (its id given) or the whole tenant.</summary>
    private static string PauseForm(string root, AntiforgeryTokenSet token, string tenant, string? jobType, bool pause, string? schedule = null)
    {
        var target = schedule is not null ? $"schedule-{schedule}" : jobType is null ? $"tenant-{tenant}" : $"{tenant}/{jobType}";
        return $"<form class=\"inline\" method=\"post\" action=\"{root}/pause\"><input type=\"hidden\" name=\"{E(token.FormFieldName)}\" value=\"{E(token.RequestToken)}\">"
            + $"<input type=\"hidden\" name=\"tenant\" value=\"{E(tenant)}\"><input type=\"hidden\" name=\"jobType\" value=\"{E(jobType)}\"><input type=\"hidden\" name=\"schedule\" value=\"{E(schedule)}\">"
            + $"<button name=\"action\" value=\"{(pause ? "pause" : "resume")}\" id=\"{(pause ? "pause" : "resume")}-{E(target)}\">{(pause ? "Pause" : "Resume")}{(schedule is not null ? "" : jobType is null ? " tenant" : "")}</button></form>";
    }

    private static string LoginForm(HttpContext context, IAntiforgery antiforgery, string? returnUrl, string? error)
    {
        var token = antiforgery.GetAndStoreTokens(context);
        var body = new StringBuilder("<h1>OrleansJobs</h1>");
        if (error is not null)
        {
            body.Append("<p class=\"error\">That key is not valid, or it is a producer key. Use an operator or admin key.</p>");
        }

        body.Append(CultureInfo.InvariantCulture, $"""
            <form method="post" action="{LoginPath(Root(context))}">
              <input type="hidden" name="{E(token.FormFieldName)}" value="{E(token.RequestToken)}">
              <input type="hidden" name="returnUrl" value="{E(LocalOrDefault(returnUrl, Root(context)))}">
              <label>API key <input type="password" name="key" id="key" size="60" autocomplete="off"></label>
              <button id="sign-in">Sign in</button>
            </form>
            """);
        return Page("Sign in", body.ToString());
    }

    /// <summary>Only a path on this site may be a redirect target, never another host.</summary>
    private static string LocalOrDefault(string? url, string root) =>
        url is { Length: > 0 } && url[0] == '/' && !url.StartsWith("//", StringComparison.Ordinal) && !url.StartsWith("/\\", StringComparison.Ordinal) ? url : root;
}
