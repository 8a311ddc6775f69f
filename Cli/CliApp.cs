using System.CommandLine;
using System.Globalization;
using System.Text.Json;

namespace OrleansJobs.Cli;

/// <summary>
/// <c>orleansjobs</c>: enqueue jobs, watch queue stats, and work the dead-letter queue, over the
/// grid's HTTP API. The URL, key and tenant come from options or from <c>ORLEANSJOBS_URL</c>,
/// <c>ORLEANSJOBS_KEY</c> and <c>ORLEANSJOBS_TENANT</c>.
/// </summary>
internal static class CliApp
{
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var url = new Option<string>("--url") { Description = "The silo's HTTP address (or set ORLEANSJOBS_URL).", Recursive = true, DefaultValueFactory = _ => Environment.GetEnvironmentVariable("ORLEANSJOBS_URL") ?? "http://127.0.0.1:5080" };
        // No default value factory for the key: help prints defaults, and the key must never be printed.
        var key = new Option<string?>("--key") { Description = "An API key (or set ORLEANSJOBS_KEY).", Recursive = true };
        var tenant = new Option<string?>("--tenant", "-t") { Description = "The tenant (or set ORLEANSJOBS_TENANT).", Recursive = true, DefaultValueFactory = _ => Environment.GetEnvironmentVariable("ORLEANSJOBS_TENANT") };
        var root = new RootCommand("OrleansJobs: enqueue jobs, watch queues, work the dead-letter queue.") { url, key, tenant };

        ApiClient Api(ParseResult r) =>
            Uri.TryCreate(r.GetValue(url), UriKind.Absolute, out var address) && address.Scheme is "http" or "https"
                ? new ApiClient(address, r.GetValue(key) ?? Environment.GetEnvironmentVariable("ORLEANSJOBS_KEY"))
                : throw new ApiException($"--url must be an http(s) address, not '{r.GetValue(url)}'.");
        string Tenant(ParseResult r) => r.GetValue(tenant) ?? throw new ApiException("a tenant is needed: --tenant or ORLEANSJOBS_TENANT.");

        root.Add(Commands.Enqueue(Api, Tenant, output, error));
        root.Add(Commands.Status(Api, Tenant, output));
        root.Add(Commands.Stats(Api, r => r.GetValue(tenant), output));
        root.Add(Commands.DeadLetters(Api, Tenant, output));
        root.Add(JobsCommand.Create(Api, Tenant, output));
        root.Add(Commands.Pause(Api, Tenant, output, pause: true));
        root.Add(Commands.Pause(Api, Tenant, output, pause: false));
        root.Add(Commands.PauseTenant(Api, Tenant, output, pause: true));
        root.Add(Commands.PauseTenant(Api, Tenant, output, pause: false));
        root.Add(Commands.PauseSchedule(Api, Tenant, output, pause: true));
        root.Add(Commands.PauseSchedule(Api, Tenant, output, pause: false));

        var parsed = root.Parse(args);
        try
        {
            return await parsed.InvokeAsync(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false }, cancellationToken);
        }
        catch (ApiException ex)
        {
            await error.WriteLineAsync($"error: {ex.Message}");
            return 1;
        }
        catch (HttpRequestException ex)
        {
            await error.WriteLineAsync($"error: cannot reach the grid: {ex.Message}");
            return 2;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return 0;
        }
    }

    public static string Json(object value) => JsonSerializer.Serialize(value, ApiClient.Json);

    public static string Seconds(TimeSpan? value) =>
        value is { } v ? v.TotalSeconds.ToString(v.TotalSeconds < 10 ? "0.0" : "0", CultureInfo.InvariantCulture) + " s" : "∞";
}
