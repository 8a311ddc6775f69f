using System.Diagnostics;
using System.Globalization;
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

    private static readonly (string[] Pins, string Label)[] Setups =
    [
        (["0"], "1 silo on cpu0"),
        (["0", "1"], "2 silos, cpu0 and cpu1"),
        (["0,1", "0,1", "0,1"], "3 silos on cpu0-1"),
    ];

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
    private static async Task<double> MachineRatioAsync()
    {
        var one = await SpinAsync(["0"]);
        return await SpinAsync(["0", "1"]) / one;
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

    /// <summary>
    /// Runs every setup once per round, the setups in turn within a round, and reports each setup's
    /// median: this machine's core speed drifts by a fifth within seconds, so setups measured once
    /// each, one after the other, give ratios that swing by a third between runs of one build.
    /// </summary>
    public static async Task<IReadOnlyList<Figure>> RunAsync(LocalPostgres postgres, int jobs, int iterations, double cpuMsPerJob, int rounds, int firstTag)
    {
        var runs = Setups.ToDictionary(s => s.Label, _ => new List<(double Rate, string PerSilo)>());
        var machine = new List<double>();
        var tag = firstTag;
        for (var round = 0; round < rounds; round++)
        {
            foreach (var (pins, label) in Setups)
            {
                runs[label].Add(await RunSetupAsync(postgres, jobs, iterations, pins, tag++));
            }

            machine.Add(await MachineRatioAsync());
        }

        var single = Percentile.Of([.. runs[Setups[0].Label].Select(r => r.Rate)], 50);
        var figures = Setups.Select(setup =>
        {
            var rates = runs[setup.Label];
            var median = Percentile.Of([.. rates.Select(r => r.Rate)], 50);
            return new Figure("scale-out", "orleansjobs", setup.Label, jobs,
            [
                new("processed/s", median),
                new("× one core", median / single),
                new("handler CPU ms/job", cpuMsPerJob),
            ], $"median of {rates.Count} run(s), the setups taking turns; processed/s per run: {string.Join(", ", rates.Select(r => r.Rate.ToString("F0", CultureInfo.InvariantCulture)))}; "
               + $"taskset -c per silo: {string.Join(" | ", setup.Pins)}; {SlotsPerCore} worker slots per pinned core; {Queues} queues; "
               + $"jobs run per silo in the last run (first to last start): {rates[^1].PerSilo}");
        }).ToList();
        figures.Add(new Figure("scale-out", "machine", "spin only, cpu0 and cpu1", 0,
        [
            new("× one core", Percentile.Of([.. machine], 50)),
        ], $"the same CPU-bound loop in 1 process on cpu0, then 2 processes on cpu0 and cpu1, 5 s each, no database: the most two pinned cores give; median of {machine.Count} (one per round: {string.Join(", ", machine.Select(m => m.ToString("F2", CultureInfo.InvariantCulture)))})"));
        return figures;
    }

    private static async Task<(double Rate, string PerSilo)> RunSetupAsync(LocalPostgres postgres, int jobs, int iterations, string[] pins, int tag)
    {
        var queues = Enumerable.Range(0, Queues).Select(q => $"cpu-{q}").ToArray();
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
        var rate = pending(starts)["processed/s"] ?? 0;
        Console.WriteLine($"    {string.Join(" | ", pins)}: {rate:F0} processed/s");
        return (rate, string.Join(" / ", starts.RunsPerWorker(tag).Select(w => $"{w.Runs} in {w.Seconds:F1} s")));
    }
}
