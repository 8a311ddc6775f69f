using System.Diagnostics;
using OrleansJobs.Bench.Infrastructure;
using OrleansJobs.Bench.Systems;
using OrleansJobs.Bench.Workers;

namespace OrleansJobs.Bench.Scenarios;

/// <summary>
/// Whether silos add capacity: a CPU-bound handler on one silo pinned to one core, two silos
/// pinned to one core each, and three silos sharing both cores (taskset). PostgreSQL and the
/// producer are not pinned.
/// </summary>
internal static class ScaleOut
{
    private const int Queues = 24;

    /// <summary>
    /// Worker-pool slots per core a silo may use: a CPU-bound handler gains nothing from more, and a
    /// silo whose pool is full hands attempts to one with free slots.
    /// </summary>
    private const int SlotsPerCore = 2;

    /// <summary>Spin iterations that take about <paramref name="target"/> of CPU here.</summary>
    public static int Calibrate(TimeSpan target)
    {
        BenchPayload.Spin(1_000_000);
        var clock = Stopwatch.StartNew();
        BenchPayload.Spin(50_000_000);
        return (int)(50_000_000 * (target / clock.Elapsed));
    }

    /// <summary>The spin role: spins on one thread for <paramref name="duration"/>, then prints "spun N" (blocks of 100 000 iterations).</summary>
    public static int SpinFor(TimeSpan duration)
    {
        Console.WriteLine("ready");
        var clock = Stopwatch.StartNew();
        long blocks = 0;
        while (clock.Elapsed < duration)
        {
            BenchPayload.Spin(100_000);
            blocks++;
        }

        Console.WriteLine($"spun {blocks}");
        return 0;
    }

    /// <summary>
    /// How much two pinned cores give over one here, with nothing else running: the same spin in
    /// one process on cpu0, then in two at once on cpu0 and cpu1. Shared caches, clock boost and
    /// the hypervisor keep this under 2; no silo count can do better than it.
    /// </summary>
    public static async Task<Figure> MachineAsync()
    {
        var one = await SpinAsync(["0"]);
        var two = await SpinAsync(["0", "1"]);
        return new Figure("scale-out", "machine", "spin only, cpu0 and cpu1", 0,
        [
            new("× one core", two / one),
        ], "the same CPU-bound loop in 1 process on cpu0, then 2 processes on cpu0 and cpu1, 5 s each, no database: the most two pinned cores give");
    }

    private static async Task<double> SpinAsync(string[] pins)
    {
        var counts = await Task.WhenAll(pins.Select(async pin =>
        {
            long blocks = 0;
            await using var child = await BenchProcess.StartAsync(["spin", "5"], pin, line =>
            {
                if (line.StartsWith("spun ", StringComparison.Ordinal))
                {
                    blocks = long.Parse(line.AsSpan(5), System.Globalization.CultureInfo.InvariantCulture);
                }
            });
            await child.Exited;
            // Exited can come before the last line is read; stopping waits for the output to end.
            await child.StopAsync();
            return blocks;
        }));
        return counts.Sum();
    }

    public static async Task<IReadOnlyList<Figure>> RunAsync(LocalPostgres postgres, int jobs, int iterations, double cpuMsPerJob, int firstTag)
    {
        var queues = Enumerable.Range(0, Queues).Select(q => $"cpu-{q}").ToArray();
        var figures = new List<Figure>();
        double? single = null;
        foreach (var (pins, label) in new (string[] Pins, string Label)[]
        {
            (["0"], "1 silo on cpu0"),
            (["0", "1"], "2 silos, cpu0 and cpu1"),
            (["0,1", "0,1", "0,1"], "3 silos on cpu0-1"),
        })
        {
            var tag = firstTag + figures.Count;
            var connection = await postgres.CreateDatabaseAsync("bench_scaleout");
            PendingFigure pending;
            StartLog starts;
            await using (var system = await OrleansJobsSystem.StartAsync(connection, pins.Length, concurrency: 8, cpuLists: pins, slotsPerSilo: SlotsPerCore * pins[0].Split(',').Length))
            {
                // Activate every queue on its silo before the clock starts.
                await system.ProduceAsync(new Load(Queues, 1, null, 4, queues, new LoadShape(-1)));
                await Completion.WaitAsync(system, Queues, TimeSpan.FromMinutes(2));
                // One call per queue, so every queue (and so every silo) gets its share of the work.
                (pending, _) = await SharedScenarios.DrainAsync(system, jobs, queues, producers: 4, tag, batch: Math.Max(1, jobs / Queues), shape: new LoadShape(tag, CpuIterations: iterations));
                starts = await system.StopAsync();
            }

            await postgres.DropDatabaseAsync("bench_scaleout");
            var drain = pending(starts);
            single ??= drain["processed/s"];
            figures.Add(drain with
            {
                Scenario = "scale-out",
                Setup = label,
                Values =
                [
                    new("processed/s", drain["processed/s"]),
                    new("× one core", drain["processed/s"] / single),
                    new("handler CPU ms/job", cpuMsPerJob),
                ],
                Note = $"taskset -c per silo: {string.Join(" | ", pins)}; {SlotsPerCore} worker slots per pinned core; {Queues} queues; jobs run per silo (first to last start): {string.Join(" / ", starts.RunsPerWorker(tag).Select(w => $"{w.Runs} in {w.Seconds:F1} s"))}",
            });
        }

        return figures;
    }
}
