using System.CommandLine;

namespace OrleansJobs.Cli;

/// <summary><c>orleansjobs jobs</c>: the jobs search of the pages and the API, as a table.</summary>
internal static class JobsCommand
{
    public static Command Create(Func<ParseResult, ApiClient> api, Func<ParseResult, string> tenant, TextWriter output)
    {
        var state = new Option<string>("--state") { Description = "enqueued, scheduled, running, succeeded, cancelled or dead.", DefaultValueFactory = _ => "enqueued" };
        var jobType = new Option<string?>("--job-type") { Description = "Only this job type (default: every one)." };
        var errorContains = new Option<string?>("--error") { Description = "Only jobs whose last error contains this text." };
        var from = new Option<string?>("--from") { Description = "Made at or after this time (ISO 8601 with an offset)." };
        var to = new Option<string?>("--to") { Description = "Made before this time (ISO 8601 with an offset)." };
        var pageSize = new Option<int>("--page-size") { DefaultValueFactory = _ => 50 };
        var cursor = new Option<string?>("--cursor") { Description = "Where the previous page ended, as it printed." };
        var command = new Command("jobs", "The tenant's jobs in one state, of every job type or one, by creation time and last error.") { state, jobType, errorContains, from, to, pageSize, cursor };
        command.SetAction(async (r, ct) =>
        {
            using var client = api(r);
            var query = string.Join("&", new (string Name, string? Value)[]
                {
                    ("state", r.GetValue(state)), ("jobType", r.GetValue(jobType)), ("errorContains", r.GetValue(errorContains)),
                    ("from", r.GetValue(from)), ("to", r.GetValue(to)), ("pageSize", r.GetValue(pageSize).ToString(System.Globalization.CultureInfo.InvariantCulture)),
                    ("cursor", r.GetValue(cursor)),
                }
                .Where(p => p.Value is not null)
                .Select(p => $"{p.Name}={Uri.EscapeDataString(p.Value!)}"));
            var page = await client.GetAsync<SearchPage>($"/v1/tenants/{tenant(r)}/jobs?{query}", ct);
            await output.WriteAsync(TextTable.Render(
                ["ID", "TYPE", "STATE", "CREATED", "RUNS AT", "ATTEMPTS", "LAST ERROR"],
                page.Jobs.Select(j => (IReadOnlyList<string>)[j.Id.ToString(), j.JobType, j.State.ToString().ToLowerInvariant(), $"{j.CreatedAt:u}", $"{j.RunAt:u}", $"{j.Attempt}/{j.MaxAttempts}", Commands.Shorten(j.LastError)])));
            if (page.NextCursor is not null)
            {
                await output.WriteLineAsync($"(more: --cursor '{page.NextCursor}')");
            }

            if (page.JobTypesLeftOut)
            {
                await output.WriteLineAsync("(the tenant has more job types than one search reads: name one with --job-type)");
            }
        });
        return command;
    }

    private sealed record SearchPage(IReadOnlyList<JobInfo> Jobs, string? NextCursor, bool JobTypesLeftOut);
}
