using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace OrleansJobs.Tests.Process;

/// <summary>The real silo host (<c>dotnet OrleansJobs.Silo.dll</c>) in its own process, on free loopback ports.</summary>
public sealed class SiloProcess : IAsyncDisposable
{
    private readonly System.Diagnostics.Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Seen)> _awaited = [];
    private bool _disposed;

    private SiloProcess(IEnumerable<string> settings)
    {
        var dll = Path.Combine(SiloFolder, "OrleansJobs.Silo.dll");
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException("Build the Silo project first.", dll);
        }

        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = SiloFolder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        foreach (var arg in new[] { "--Urls=http://127.0.0.1:0", "--Logging:LogLevel:OrleansJobs=Warning", "--Logging:LogLevel:OrleansJobs.Silo=Warning", "--Logging:Console:TimestampFormat=HH:mm:ss.fff " }.Concat(settings))
        {
            start.ArgumentList.Add(arg);
        }

        _process = new System.Diagnostics.Process { StartInfo = start, EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) => OnLine(e.Data);
        _process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        _process.Exited += (_, _) => _started.TrySetException(new InvalidOperationException($"Silo exited early:\n{Output}"));
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    private static readonly DirectoryInfo TestOutput = new(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));

    /// <summary>The repository, four levels above this test project's output (Grains.Tests/bin/Configuration/framework).</summary>
    public static string RepositoryRoot => TestOutput.Parent!.Parent!.Parent!.Parent!.FullName;

    /// <summary>The folder of the built Silo, beside this test project's output.</summary>
    public static string SiloFolder => Path.Combine(RepositoryRoot, "Silo", "bin", TestOutput.Parent!.Name, TestOutput.Name);

    public string Output => string.Join('\n', _output);

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Starts an embedded (SQLite) silo and waits until the host reports it has started.</summary>
    public static Task<SiloProcess> StartAsync(string dataPath, int siloPort, int gatewayPort, int sampleConcurrency = 16) =>
        StartAsync(
        [
            $"--OrleansJobs:DataPath={dataPath}",
            $"--OrleansJobs:SiloPort={siloPort}",
            $"--OrleansJobs:GatewayPort={gatewayPort}",
            $"--OrleansJobs:SampleConcurrency={sampleConcurrency}",
        ]);

    /// <summary>Starts a silo of a PostgreSQL cluster, with failure detection tuned to seconds.</summary>
    public static Task<SiloProcess> StartClusterSiloAsync(string connectionString, int siloPort, int gatewayPort, int sampleConcurrency, params string[] more) =>
        StartAsync(
        [
            "--OrleansJobs:Storage=Postgres",
            $"--ConnectionStrings:OrleansJobs={connectionString}",
            $"--OrleansJobs:SiloPort={siloPort}",
            $"--OrleansJobs:GatewayPort={gatewayPort}",
            $"--OrleansJobs:SampleConcurrency={sampleConcurrency}",
            "--Orleans:Membership:ProbeTimeout=00:00:01",
            "--Orleans:Membership:NumMissedProbesLimit=2",
            "--Orleans:Membership:TableRefreshTimeout=00:00:02",
            "--Orleans:Membership:IAmAliveTablePublishTimeout=00:00:05",
            .. more,
        ]);

    /// <summary>Starts the silo host with these settings and waits until it reports it has started.</summary>
    public static async Task<SiloProcess> StartAsync(IEnumerable<string> settings)
    {
        var silo = new SiloProcess(settings);
        try
        {
            await silo._started.Task.WaitAsync(TimeSpan.FromSeconds(60));
            return silo;
        }
        catch
        {
            await silo.DisposeAsync();
            throw;
        }
    }

    /// <summary>kill -9: no shutdown code runs.</summary>
    public void Crash()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    /// <summary>SIGTERM, as ctrl-C or a deploy would send; waits for the process to exit.</summary>
    public async Task StopGracefullyAsync(TimeSpan timeout)
    {
        using (var kill = System.Diagnostics.Process.Start("kill", ["-TERM", _process.Id.ToString()]))
        {
            await kill.WaitForExitAsync();
        }

        await _process.WaitForExitAsync().WaitAsync(timeout);
    }

    /// <summary>The first line the process printed, or prints within <paramref name="timeout"/>, that matches.</summary>
    public Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout)
    {
        var seen = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_awaited)
        {
            var printed = _output.FirstOrDefault(match);
            if (printed is not null)
            {
                return Task.FromResult(printed);
            }

            _awaited.Add((match, seen));
        }

        return seen.Task.WaitAsync(timeout);
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        _output.Enqueue(line);
        lock (_awaited)
        {
            foreach (var awaited in _awaited.Where(a => a.Match(line)).ToList())
            {
                awaited.Seen.TrySetResult(line);
                _awaited.Remove(awaited);
            }
        }

        if (line.Contains("Application started", StringComparison.Ordinal))
        {
            _started.TrySetResult();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
