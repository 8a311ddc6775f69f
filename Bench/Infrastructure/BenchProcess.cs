namespace OrleansJobs.Bench.Infrastructure;

/// <summary>Starts this benchmark's own program in a worker role (an OrleansJobs silo, a Hangfire server).</summary>
internal static class BenchProcess
{
    private static string Dll => Path.Combine(AppContext.BaseDirectory, "OrleansJobs.Bench.dll");

    /// <summary>The worker; its "heap N" lines update <paramref name="heap"/>.</summary>
    public static Task<ChildProcess> StartAsync(IEnumerable<string> args, Action<long> heap, string? cpuList = null) =>
        ChildProcess.StartAsync("dotnet", [Dll, .. args], "ready", line =>
        {
            if (line.StartsWith("heap ", StringComparison.Ordinal) && long.TryParse(line.AsSpan(5), out var bytes))
            {
                heap(bytes);
            }
            else if (!line.StartsWith("ready", StringComparison.Ordinal))
            {
                Console.Error.WriteLine($"    | {line}");
            }
        }, cpuList);
}
