using System.Globalization;
using System.Text.Json;
using System.Threading.Channels;
using OrleansJobs.Bench.Infrastructure;

namespace OrleansJobs.Bench.Systems;

/// <summary>
/// BullMQ on a local Redis: worker and producer processes of Bench/peers/bullmq/bench.js, the
/// producer taking each load as one JSON line and answering with its timings.
/// </summary>
internal sealed class BullMqSystem : IJobSystem
{
    private static readonly string Folder = Path.Combine(Repository.Root, "Bench", "peers", "bullmq");
    private readonly LocalRedis _redis;
    private readonly List<ChildProcess> _workers = [];
    private readonly List<string> _startFiles = [];
    private readonly Channel<string> _answers = Channel.CreateUnbounded<string>();
    private long[] _completed = [];
    private long[] _failed = [];
    private ChildProcess? _producer;

    private BullMqSystem(LocalRedis redis, int processes, int concurrency, string version)
    {
        _redis = redis;
        Setup = $"{processes} worker processes, aof {redis.Settings["appendfsync"]}";
        Settings = new Dictionary<string, string>(redis.Settings)
        {
            ["bullmq"] = version,
            ["worker_processes"] = processes.ToString(CultureInfo.InvariantCulture),
            ["concurrency_per_worker_per_queue"] = concurrency.ToString(CultureInfo.InvariantCulture),
            ["retry"] = "attempts=2, fixed backoff 1 s",
            ["removeOnComplete"] = "false (finished jobs kept, as the other systems keep them)",
        };
    }

    public string Name => "bullmq";

    public string Setup { get; }

    public IReadOnlyDictionary<string, string> Settings { get; }

    public string? Postgres => null;

    public int MaxBatch => 1000;

    public static async Task<BullMqSystem> StartAsync(string appendFsync, int processes, int concurrency, string[] queues)
    {
        if (!Tools.OnPath("node") || !Tools.OnPath("npm"))
        {
            throw new InvalidOperationException("node and npm are needed for the BullMQ peer.");
        }

        if (!Directory.Exists(Path.Combine(Folder, "node_modules", "bullmq")) || !Directory.Exists(Path.Combine(Folder, "node_modules", "ioredis")))
        {
            // npm install, not npm ci: the lock pins bullmq and ioredis, but its entries for other platforms'
            // optional msgpackr-extract builds are empty, and npm ci refuses a lock like that.
            Console.WriteLine("  installing bullmq with npm install (versions from package-lock.json)");
            await Script.RunAsync("npm", "install", "--prefix", Folder, "--no-audit", "--no-fund", "--loglevel=error");
        }

        var version = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(Folder, "node_modules", "bullmq", "package.json"))).RootElement.GetProperty("version").GetString()!;
        var redis = await LocalRedis.StartAsync(appendFsync);
        var system = new BullMqSystem(redis, processes, concurrency, version);
        try
        {
            system._completed = new long[processes];
            system._failed = new long[processes];
            for (var i = 0; i < processes; i++)
            {
                var index = i;
                var starts = Path.Combine(Path.GetTempPath(), $"orleansjobs-bench-bullmq-{Guid.NewGuid():N}.txt");
                system._startFiles.Add(starts);
                system._workers.Add(await ChildProcess.StartAsync("node",
                    [Path.Combine(Folder, "bench.js"), "worker", redis.Port.ToString(CultureInfo.InvariantCulture), concurrency.ToString(CultureInfo.InvariantCulture), starts, .. queues],
                    "ready", line => system.OnWorkerLine(index, line)));
            }

            system._producer = await ChildProcess.StartAsync("node", [Path.Combine(Folder, "bench.js"), "producer", redis.Port.ToString(CultureInfo.InvariantCulture)], "ready", line =>
            {
                if (line.StartsWith('{'))
                {
                    system._answers.Writer.TryWrite(line);
                }
                else if (line != "ready")
                {
                    Console.Error.WriteLine($"    | {line}");
                }
            });
            return system;
        }
        catch
        {
            await system.DisposeAsync();
            throw;
        }
    }

    private void OnWorkerLine(int index, string line)
    {
        var parts = line.Split(' ');
        if (parts is ["progress", var completed, var failed])
        {
            Volatile.Write(ref _completed[index], long.Parse(completed, CultureInfo.InvariantCulture));
            Volatile.Write(ref _failed[index], long.Parse(failed, CultureInfo.InvariantCulture));
        }
        else if (line != "ready")
        {
            Console.Error.WriteLine($"    | {line}");
        }
    }

    public async Task<LoadResult> ProduceAsync(Load load)
    {
        await _producer!.SendLineAsync(JsonSerializer.Serialize(new
        {
            count = load.Count,
            batch = load.Batch,
            rate = load.Rate,
            producers = load.Producers,
            queues = load.Queues,
            tag = load.Shape.Tag,
            failOnceEvery = load.Shape.FailOnceEvery,
            poisonEvery = load.Shape.PoisonEvery,
            cpuIterations = load.Shape.CpuIterations,
        }));
        var reply = _answers.Reader.ReadAsync().AsTask();
        if (await Task.WhenAny(reply, _producer.Exited) != reply)
        {
            throw new InvalidOperationException("The BullMQ producer exited during a load.");
        }

        using var answer = JsonDocument.Parse(await reply);
        return new LoadResult(
            answer.RootElement.GetProperty("seconds").GetDouble(),
            [.. answer.RootElement.GetProperty("callLatenciesMs").EnumerateArray().Select(e => e.GetDouble())]);
    }

    public Task<Progress> ProgressAsync()
    {
        long completed = 0, failed = 0;
        for (var i = 0; i < _completed.Length; i++)
        {
            completed += Volatile.Read(ref _completed[i]);
            failed += Volatile.Read(ref _failed[i]);
        }

        return Task.FromResult(new Progress(completed + failed, failed));
    }

    /// <summary>The workers' memory plus Redis's, which holds the jobs; node has no GC heap figure here.</summary>
    public (long Resident, long Heap) Memory() => (_workers.Sum(w => w.ResidentBytes()) + _redis.ResidentBytes(), 0);

    public async Task<StartLog> StopAsync()
    {
        if (_producer is not null)
        {
            await _producer.DisposeAsync();
            _producer = null;
        }

        foreach (var worker in _workers)
        {
            await worker.DisposeAsync();
        }

        _workers.Clear();
        return StartLog.Collect(_startFiles);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _redis.DisposeAsync();
    }
}
