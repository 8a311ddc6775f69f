using System.Globalization;

namespace OrleansJobs.Bench.Infrastructure;

/// <summary>
/// A throwaway Redis for BullMQ on a free loopback port, persisting to an append-only file with
/// the given fsync policy (installed from Debian's packages when missing and running as root).
/// </summary>
internal sealed class LocalRedis : IAsyncDisposable
{
    private readonly ChildProcess _server;
    private readonly string _folder;

    private LocalRedis(ChildProcess server, string folder, int port, string appendFsync, string version)
    {
        _server = server;
        _folder = folder;
        Port = port;
        Settings = new Dictionary<string, string>
        {
            ["redis"] = version,
            ["appendonly"] = "yes",
            ["appendfsync"] = appendFsync,
            ["rdb_snapshots"] = "off",
            ["maxmemory_policy"] = "noeviction",
        };
    }

    public int Port { get; }

    public IReadOnlyDictionary<string, string> Settings { get; }

    public long ResidentBytes() => _server.ResidentBytes();

    public static async Task<LocalRedis> StartAsync(string appendFsync)
    {
        await Tools.EnsureDebianPackageAsync("redis-server", "redis-server");
        var version = (await Script.RunAsync("redis-server", "--version")).Split(' ').FirstOrDefault(p => p.StartsWith("v=", StringComparison.Ordinal))?[2..] ?? "?";
        var folder = Directory.CreateTempSubdirectory("orleansjobs-bench-redis-").FullName;
        var port = FreePort.Next();
        var server = await ChildProcess.StartAsync("redis-server",
        [
            "--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--dir", folder,
            "--appendonly", "yes", "--appendfsync", appendFsync, "--save", "", "--maxmemory-policy", "noeviction",
        ], "Ready to accept connections");
        return new LocalRedis(server, folder, port, appendFsync, version);
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }
}

/// <summary>Installs what a peer needs on a fresh machine, so one command runs the whole benchmark.</summary>
internal static class Tools
{
    public static bool OnPath(string command) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(dir => File.Exists(Path.Combine(dir, command)));

    public static async Task EnsureDebianPackageAsync(string command, string package)
    {
        if (OnPath(command))
        {
            return;
        }

        if (!OnPath("apt-get") || Environment.UserName != "root")
        {
            throw new InvalidOperationException($"{command} is missing: install the Debian package {package}.");
        }

        Console.WriteLine($"  installing {package} with apt-get");
        try
        {
            await Script.RunAsync("apt-get", "install", "-y", "-qq", package);
        }
        catch (InvalidOperationException)
        {
            await Script.RunAsync("apt-get", "update", "-qq");
            await Script.RunAsync("apt-get", "install", "-y", "-qq", package);
        }
    }
}
