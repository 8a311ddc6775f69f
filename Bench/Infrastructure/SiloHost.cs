using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace OrleansJobs.Bench.Infrastructure;

/// <summary>One real silo host process on PostgreSQL, on free loopback ports, with per-job logging off.</summary>
internal sealed class SiloHost : IAsyncDisposable
{
    private readonly Process _process;
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private SiloHost(string connectionString, int concurrency, string? cpuList)
    {
        var dll = Path.Combine(Repository.SiloFolder, "OrleansJobs.Silo.dll");
        var start = new ProcessStartInfo(cpuList is null ? "dotnet" : "taskset")
        {
            WorkingDirectory = Repository.SiloFolder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (cpuList is not null)
        {
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add(cpuList);
            start.ArgumentList.Add("dotnet");
        }

        start.ArgumentList.Add(dll);
        foreach (var arg in new[]
        {
            "--Urls=http://127.0.0.1:0",
            "--Logging:LogLevel:Default=Warning",
            "--Logging:LogLevel:Microsoft.Hosting.Lifetime=Information",
            "--OrleansJobs:Storage=Postgres",
            $"--ConnectionStrings:OrleansJobs={connectionString}",
            $"--OrleansJobs:SiloPort={FreePort()}",
            $"--OrleansJobs:GatewayPort={FreePort()}",
            $"--OrleansJobs:SampleConcurrency={concurrency}",
        })
        {
            start.ArgumentList.Add(arg);
        }

        _process = new Process { StartInfo = start, EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) => OnLine(e.Data);
        _process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        _process.Exited += (_, _) => _started.TrySetException(new InvalidOperationException("The silo exited before it started."));
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public static async Task<SiloHost> StartAsync(string connectionString, int concurrency, string? cpuList = null)
    {
        var silo = new SiloHost(connectionString, concurrency, cpuList);
        await silo._started.Task.WaitAsync(TimeSpan.FromSeconds(90));
        return silo;
    }

    /// <summary>Resident memory of the silo process, from /proc.</summary>
    public long ResidentBytes()
    {
        var status = File.ReadAllLines($"/proc/{DotnetPid()}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return status is null ? 0 : long.Parse(status.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
    }

    private int DotnetPid()
    {
        // Under taskset the dotnet process replaces taskset (exec), keeping the pid.
        return _process.Id;
    }

    private void OnLine(string? line)
    {
        if (line?.Contains("Application started", StringComparison.Ordinal) == true)
        {
            _started.TrySetResult();
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            using (var term = Process.Start("kill", ["-TERM", _process.Id.ToString()]))
            {
                await term.WaitForExitAsync();
            }

            try
            {
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            }
            catch (TimeoutException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }

        _process.Dispose();
    }
}
