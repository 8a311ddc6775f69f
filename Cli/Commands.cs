using System.CommandLine;
using System.Globalization;
using System.Text.Json;

namespace OrleansJobs.Cli;

/// <summary>The CLI's commands, each a thin layer over one or two HTTP calls.</summary>
internal static class Commands
{
    public static Command Enqueue(Func<ParseResult, ApiClient> api, Func<ParseResult, string> tenant, TextWriter output, TextWriter error)
    {
        var jobType = new Argument<string>("job-type") { Description = "The registered job type." };
        var payload = new Argument<string>("payload") { Description = "The payload as JSON.", DefaultValueFactory = _ => "{}" };
        var delay = new Option<TimeSpan?>("--delay") { Description = "Run after this long (e.g. 00:05:00)." };
        var priority = new Option<JobPriority>("--priority") { Description = "high, normal or low.", DefaultValueFactory = _ => JobPriority.Normal };
        var idempotencyKey = new Option<string?>("--idempotency-key") { Description = "Enqueue at most once per key." };
        var command = new Command("enqueue", "Enqueue one job; prints its id (the earlier job's, with a note on stderr, when the idempotency key named one).") { jobType, payload, delay, priority, idempotencyKey };
        command.SetAction(async (r, ct) =>
        {
            JsonElement body;
            try
            {
                body = JsonDocument.Parse(r.GetValue(payload)!).RootElement.Clone();
            }
            catch (JsonException ex)
            {
                throw new ApiException($"the payload is not JSON: {ex.Message}");
            }

            using var client = api(r);
            var options = new { delay = r.GetValue(delay), priority = r.GetValue(priority), idempotencyKey = r.GetValue(idempotencyKey) };
            var created = await client.PostAsync<JsonElement>($"/v1/tenants/{tenant(r)}/jobs", new { jobType = r.GetValue(jobType), payload = body, options }, ct);
            var id = created.GetProperty("id").GetString();
            await output.WriteLineAsync(id);
            if (created.TryGetProperty("created", out var fresh) && fresh.ValueKind == JsonValueKind.False)
            {
                // Stdout stays the id alone, for scripts; the person at the terminal learns the payload was not used.
                await error.WriteLineAsync($"note: idempotency key '{r.GetValue(idempotencyKey)}' already named job {id}; nothing new was stored and this payload was not used.");
            }
        });
        return command;
    }

    public static Command Status(Func<ParseResult, ApiClient> api, Func<ParseResult, string> tenant, TextWriter output)
    {
        var id = new Argument<string>("id") { Description = "The job id." };
        var command = new Command("status", "Show a job's status.") { id };
        command.SetAction(async (r, ct) =>
        {
            using var client = api(r);
            await output.WriteLineAsync(CliApp.Json(await client.GetAsync<JobInfo>($"/v1/tenants/{tenant(r)}/jobs/{r.GetValue(id)}", ct)));
        });
        return command;
    }

    public static Command Stats(Func<ParseResult, ApiClient> api, Func<ParseResult, string?> tenant, TextWriter output)
    {
        var watch = new Option<bool>("--watch", "-w") { Description = "Redraw the table until ctrl-C." };
        var interval = new Option<double>("--interval") { Description = "Seconds between redraws.", DefaultValueFactory = _ => 2 };
        var command = new Command("stats", "Queue stats: backlog, oldest waiting, pace, dead letters, drain time. Without a tenant, every queue (admin key).") { watch, interval };
        command.SetAction(async (r, ct) =>
        {
            using var client = api(r);
            var path = tenant(r) is { } t ? $"/v1/tenants/{t}/queues" : "/v1/queues";
            do
            {
                var queues = await client.GetAsync<List<QueueStats>>(path, ct);
                if (r.GetValue(watch))
                {
                    await output.WriteAsync("\u001b[H\u001b[2J");
                    await output.WriteLineAsync($"{DateTimeOffset.Now:T}  {queues.Count} queue(s)  (ctrl-C to stop)");
                }

                await output.WriteAsync(TextTable.Render(
                    ["QUEUE", "STATE", "BACKLOG", "SCHEDULED", "RUNNING", "LIMIT", "OLDEST", "DONE/S", "DEAD", "DRAIN"],
                    queues.Select(q => (IReadOnlyList<string>)
                    [
                        $"{q.Tenant}/{q.JobType}", State(q), N(q.Enqueued), N(q.Scheduled), N(q.Active), N(q.ConcurrencyLimit),
                        q.OldestWaiting is { } age ? CliApp.Seconds(age) : "-", q.CompletedPerSecond.ToString("0.#", CultureInfo.InvariantCulture),
                        N(q.DeadLettered), CliApp.Seconds(q.DrainTime),
                    ])));
                if (r.GetValue(watch))
                {
                    await Task.Delay(TimeSpan.FromSeconds(Math.Max(0.5, r.GetValue(interval))), ct);
                }
            }
            while (r.GetValue(watch));
        });
        return command;
    }

    /// <summary>Pauses (or resumes) one of the tenant's queues and prints its state.</summary>
    public static Command Pause(Func<ParseResult, ApiClient> api, Func<ParseResult, string> tenant, TextWriter output, bool pause)
    {
        var jobType = new Argument<string>("job-type") { Description = "The queue's job type." };
        var command = pause
            ? new Command("pause", "Pause a queue: it takes jobs and starts none until resumed; running ones finish.") { jobType }
            : new Command("resume", "Resume a paused queue.") { jobType };
        command.SetAction(async (r, ct) =>
        {
            using var client = api(r);
            var stats = await client.PostAsync<QueueStats>($"/v1/tenants/{tenant(r)}/queues/{Uri.EscapeDataString(r.GetValue(jobType)!)}/{(pause ? "pause" : "resume")}", null, ct);
            await output.WriteLineAsync($"{stats.Tenant}/{stats.JobType}: {(stats.Paused ? "paused" : "running")}, {N(stats.Enqueued)} waiting, {N(stats.Active)} running");
        });
        return command;
    }

    /// <summary>Pauses (or resumes) every queue of the tenant and prints its state.</summary>
    public static Command PauseTenant(Func<ParseResult, ApiClient> api, Func<ParseResult, string> tenant, TextWriter output, bool pause)
    {
        var command = pause
            ? new Command("pause-tenant", "Pause every queue of the tenant: they take jobs and start none until resumed; running ones finish.")
            : new Command("resume-tenant", "Resume a paused tenant.");
        command.SetAction(async (r, ct) =>
        {
            using var client = api(r);
            var status = await client.PostAsync<TenantStatus>($"/v1/tenants/{tenant(r)}/{(pause ? "pause" : "resume")}", null, ct);
            await output.WriteLineAsync($"{status.Tenant}: {(status.Paused ? $"paused since {status.PausedAt:u}" : "running")}");
        });
        return command;
    }

    /// <summary>Pauses (or resumes) one of the tenant's schedules and prints when it fires next.</summary>
    public static Command PauseSchedule(Func<ParseResult, ApiClient> api, Func<ParseResult, string> tenant, TextWriter output, bool pause)
    {
        var id = new Argument<string>("schedule-id") { Description = "The schedule's id." };
        var command = pause
            ? new Command("pause-schedule", "Pause a recurring job: it enqueues nothing until resumed.") { id }
            : new Command("resume-schedule", "Resume a paused recurring job from its next occurrence; skipped ones are not made up.") { id };
        command.SetAction(async (r, ct) =>
        {
            using var client = api(r);
            var schedule = await client.PostAsync<ScheduleView>($"/v1/tenants/{tenant(r)}/schedules/{Uri.EscapeDataString(r.GetValue(id)!)}/{(pause ? "pause" : "resume")}", null, ct);
            await output.WriteLineAsync(schedule.PausedAt is { } since
                ? $"{schedule.Tenant}/{schedule.Id}: paused since {since:u}"
                : $"{schedule.Tenant}/{schedule.Id}: running, next occurrence {schedule.NextOccurrence:u}");
        });
        return command;
    }

    /// <summary>The fields of the API's schedule answer the CLI prints.</summary>
    private sealed record ScheduleView(string Tenant, string Id, DateTimeOffset? NextOccurrence, DateTimeOffset? PausedAt);

    private static string State(QueueStats queue) => queue switch
    {
        { Paused: true } => "paused",
        { TenantPaused: true } => "tenant paused",
        { Breaker: BreakerState.Open } => "breaker open",
        { Breaker: BreakerState.HalfOpen } => "probing",
        { BackingOffUntil: not null } => "backing off",
        { KeyBreakersOpen: > 0 } => $"running, {queue.KeyBreakersOpen} key(s) broken",
        _ => "running",
    };

    public static Command DeadLetters(Func<ParseResult, ApiClient> api, Func<ParseResult, string> tenant, TextWriter output)
    {
        var jobType = new Option<string?>("--job-type") { Description = "Only this job type." };
        var errorContains = new Option<string?>("--error") { Description = "Only jobs whose last error contains this text." };
        var dlq = new Command("dlq", "The dead-letter queue.");

        var pageSize = new Option<int>("--page-size") { DefaultValueFactory = _ => 50 };
        var list = new Command("list", "Dead-lettered jobs, newest first.") { jobType, errorContains, pageSize };
        list.SetAction(async (r, ct) =>
        {
            using var client = api(r);
            var page = await client.GetAsync<DeadLetterPage>(ListPath(tenant(r), r.GetValue(jobType), r.GetValue(errorContains), r.GetValue(pageSize), null), ct);
            await output.WriteAsync(TextTable.Render(
                ["ID", "TYPE", "DEAD SINCE", "ATTEMPTS", "LAST ERROR"],
                page.Jobs.Select(j => (IReadOnlyList<string>)[j.Id.ToString(), j.JobType, $"{j.FinishedAt:u}", $"{j.Attempt}/{j.MaxAttempts}", Shorten(j.LastError)])));
            if (page.NextCursor is not null)
            {
                await output.WriteLineAsync($"(more: use --page-size or the API's cursor {page.NextCursor})");
            }
        });

        var id = new Argument<string>("id") { Description = "The job id." };
        var inspect = new Command("inspect", "A dead-lettered job with its payload and every attempt's error.") { id };
        inspect.SetAction(async (r, ct) =>
        {
            using var client = api(r);
            await output.WriteLineAsync(CliApp.Json(await client.GetAsync<JsonElement>($"/v1/tenants/{tenant(r)}/dead-letters/{r.GetValue(id)}", ct)));
        });

        var one = new Argument<string?>("id") { Description = "The job to replay; or use --all with filters.", Arity = ArgumentArity.ZeroOrOne };
        var all = new Option<bool>("--all") { Description = "Replay every match of the filters." };
        var batch = new Option<int>("--batch") { Description = "Jobs per request in a bulk replay.", DefaultValueFactory = _ => 100 };
        var replay = new Command("replay", "Put dead-lettered jobs back in their queues.") { one, all, jobType, errorContains, batch };
        replay.SetAction(async (r, ct) =>
        {
            using var client = api(r);
            if (r.GetValue(one) is { } single)
            {
                await client.PostAsync<JsonElement>($"/v1/tenants/{tenant(r)}/dead-letters/{single}/replay", null, ct);
                await output.WriteLineAsync($"replayed {single}");
                return 0;
            }

            if (!r.GetValue(all))
            {
                throw new ApiException("give a job id, or --all (with --job-type / --error to narrow it).");
            }

            var (total, newest) = await CountAsync(client, tenant(r), r.GetValue(jobType), r.GetValue(errorContains), ct);
            var bar = new ProgressBar(output, total);
            var done = 0;

            // Only what was dead when the command started: a replayed job that fails again must not be replayed twice.
            var filter = new { jobType = r.GetValue(jobType), errorContains = r.GetValue(errorContains), to = newest?.AddMilliseconds(1) };
            while (done < total)
            {
                var replayed = (await client.PostAsync<JsonElement>($"/v1/tenants/{tenant(r)}/dead-letters/replay", new { filter, limit = Math.Min(Math.Max(1, r.GetValue(batch)), total - done) }, ct))
                    .GetProperty("replayed").GetInt32();
                if (replayed == 0)
                {
                    break;
                }

                done += replayed;
                bar.Report(done);
            }

            bar.Finish(done);
            await output.WriteLineAsync($"replayed {done} of {total}");
            return 0;
        });

        dlq.Add(list);
        dlq.Add(inspect);
        dlq.Add(replay);
        return dlq;
    }

    /// <summary>How many dead letters match, and when the newest of them died.</summary>
    private static async Task<(int Count, DateTimeOffset? Newest)> CountAsync(ApiClient client, string tenant, string? jobType, string? errorContains, CancellationToken ct)
    {
        var count = 0;
        DateTimeOffset? newest = null;
        string? cursor = null;
        do
        {
            var page = await client.GetAsync<DeadLetterPage>(ListPath(tenant, jobType, errorContains, 1000, cursor), ct);
            count += page.Jobs.Count;
            foreach (var job in page.Jobs)
            {
                newest = job.FinishedAt > newest || newest is null ? job.FinishedAt : newest;
            }

            cursor = page.NextCursor?.ToString();
        }
        while (cursor is not null);
        return (count, newest);
    }

    private static string ListPath(string tenant, string? jobType, string? errorContains, int pageSize, string? cursor) =>
        $"/v1/tenants/{tenant}/dead-letters?pageSize={pageSize}"
        + (jobType is null ? "" : $"&jobType={Uri.EscapeDataString(jobType)}")
        + (errorContains is null ? "" : $"&errorContains={Uri.EscapeDataString(errorContains)}")
        + (cursor is null ? "" : $"&cursor={cursor}");

    private static string N(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>A one-line cell of at most 60 characters.</summary>
    internal static string Shorten(string? text) => text is null ? "" : text.Length <= 60 ? text.ReplaceLineEndings(" ") : text[..57].ReplaceLineEndings(" ") + "...";
}
