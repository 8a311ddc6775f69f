namespace OrleansJobs.Tests.Process;

/// <summary>A PostgreSQL server of the test's own (<c>deploy/pg.sh</c>), so the test may stop and start it.</summary>
public sealed class ThrowawayPostgres : IAsyncDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("orleansjobs-pg-").FullName;

    public string ConnectionString { get; private set; } = "";

    public static async Task<ThrowawayPostgres> StartAsync()
    {
        var server = new ThrowawayPostgres();
        await server.StartAgainAsync();
        return server;
    }

    /// <summary>Starts the server (again, on the same port and data after a stop).</summary>
    public async Task StartAgainAsync() => ConnectionString = (await RunAsync("start")).Trim();

    /// <summary>Stops the server (fast shutdown: open connections are cut).</summary>
    public Task StopAsync() => RunAsync("stop");

    private async Task<string> RunAsync(string command)
    {
        var script = Path.Combine(SiloProcess.RepositoryRoot, "deploy", "pg.sh");
        using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("bash", [script, command, _folder])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var output = await process.StandardOutput.ReadToEndAsync();
        var errors = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return process.ExitCode == 0 ? output : throw new InvalidOperationException($"pg.sh {command} failed: {errors}");
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        Directory.Delete(_folder, recursive: true);
    }
}
