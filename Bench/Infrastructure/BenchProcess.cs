namespace OrleansJobs.Bench.Infrastructure;

/// <summary>Starts this benchmark's own program in a worker role (an OrleansJobs silo, a Hangfire server, a spinner).</summary>
internal static class BenchProcess
{
    private static string Dll => Path.Combine(AppContext.BaseDirectory, "OrleansJobs.Bench.dll");

    /// <summary>The worker; its "heap N" lines update <paramref name="heap"/>, its "finished N" lines <paramref name="finished"/>, other lines are shown.</summary>
    public static Task<ChildProcess> StartAsync(IEnumerable<string> args, Action<long> heap, string? cpuList = null, Action<long>? finished = null) =>
        StartAsync(args, cpuList, line =>
        {
            if (line.StartsWith("heap ", StringComparison.Ordinal) && long.TryParse(line.AsSpan(5), out var bytes))
            {
                heap(bytes);
            }
            else if (line.StartsWith("finished ", StringComparison.Ordinal) && long.TryParse(line.AsSpan(9), out var count))
            {
                finished?.Invoke(count);
            }
            else
            {
                Console.Error.WriteLine($"    | {line}");
            }
        });

    /// <summary>The worker, pinned to <paramref name="cpuList"/> if given; every line after "ready" goes to <paramref name="onLine"/>.</summary>
    public static Task<ChildProcess> StartAsync(IEnumerable<string> args, string? cpuList, Action<string> onLine) =>
        ChildProcess.StartAsync("dotnet", [Dll, .. args], "ready", line =>
        {
            if (!line.StartsWith("ready", StringComparison.Ordinal))
            {
                onLine(line);
            }
        }, cpuList);
}
