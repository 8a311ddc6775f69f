using System.Diagnostics;

namespace OrleansJobs.Bench.Infrastructure;

/// <summary>
/// A worker process of a system under test (silo, Hangfire server, BullMQ worker): started with
/// an optional CPU pinning, ready when it prints its ready line, stopped with SIGTERM so it can
/// write what it recorded. Every other line goes to <c>onLine</c>.
/// </summary>
internal sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _readyLine;
    private readonly Action<string>? _onLine;
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ChildProcess(string file, IEnumerable<string> args, string? cpuList, string readyLine, Action<string>? onLine, string? workingDirectory)
    {
        _readyLine = readyLine;
        _onLine = onLine;
        // Each worker runs in a session of its own, as a service manager starts a server. With the
        // kernel's autogroup scheduling (on by default), a session is one group in the CPU's fair
        // share: PostgreSQL's backends each take a session of their own, so a worker left in the
        // benchmark's session would share one group's CPU with the load generator. setsid execs the
        // program (the child is not a process-group leader), so the pid stays the program's own.
        var start = new ProcessStartInfo("setsid")
        {
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        if (cpuList is not null)
        {
            // taskset execs the program too.
            start.ArgumentList.Add("taskset");
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add(cpuList);
        }

        start.ArgumentList.Add(file);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        _process = new Process { StartInfo = start, EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) => OnLine(e.Data);
        _process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        _process.Exited += (_, _) =>
        {
            _ready.TrySetException(new InvalidOperationException($"{Path.GetFileName(file)} exited before it was ready."));
            _exited.TrySetResult();
        };
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public static async Task<ChildProcess> StartAsync(
        string file, IEnumerable<string> args, string readyLine, Action<string>? onLine = null, string? cpuList = null, string? workingDirectory = null)
    {
        var child = new ChildProcess(file, args, cpuList, readyLine, onLine, workingDirectory);
        try
        {
            await child._ready.Task.WaitAsync(TimeSpan.FromSeconds(120));
        }
        catch
        {
            await child.DisposeAsync();
            throw;
        }

        return child;
    }

    /// <summary>Completes when the process has exited.</summary>
    public Task Exited => _exited.Task;

    /// <summary>Writes one line to the process's standard input.</summary>
    public async Task SendLineAsync(string line)
    {
        await _process.StandardInput.WriteLineAsync(line);
        await _process.StandardInput.FlushAsync();
    }

    /// <summary>Resident memory of the process, from /proc.</summary>
    public long ResidentBytes()
    {
        try
        {
            var line = File.ReadLines($"/proc/{_process.Id}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    /// <summary>Asks the process to stop (SIGTERM) and waits for it to exit.</summary>
    public async Task StopAsync()
    {
        if (!_process.HasExited)
        {
            using (var term = Process.Start("kill", ["-TERM", _process.Id.ToString()]))
            {
                await term.WaitForExitAsync();
            }

            try
            {
                await _exited.Task.WaitAsync(TimeSpan.FromSeconds(60));
            }
            catch (TimeoutException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }

        // Exited can fire before the last redirected lines are read.
        await _process.WaitForExitAsync();
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        if (line.Contains(_readyLine, StringComparison.Ordinal))
        {
            _ready.TrySetResult();
        }

        _onLine?.Invoke(line);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process.Dispose();
    }
}
