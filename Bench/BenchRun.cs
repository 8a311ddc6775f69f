using OrleansJobs.Bench.Infrastructure;
using OrleansJobs.Bench.Scenarios;
using OrleansJobs.Bench.Systems;
using OrleansJobs.Bench.Workers;

namespace OrleansJobs.Bench;

/// <summary>
/// Runs the plan: each system started once on its own database (or Redis), its scenarios one
/// after the other, then stopped so its workers hand over the handler starts the figures need.
/// Every scenario starts right after a PostgreSQL checkpoint, so none of them pays for the writes
/// of the one before (<see cref="LocalPostgres.CheckpointAsync"/>).
/// </summary>
internal sealed class BenchRun(BenchPlan plan, string? output, double? steadyBase = null)
{
    private const int Concurrency = 64;
    private static readonly string[] Queues = [.. Enumerable.Range(0, 12).Select(q => $"bench-{q}")];
    private readonly List<Figure> _figures = [];
    private readonly Dictionary<string, IReadOnlyDictionary<string, string>> _settings = [];
    private readonly List<string> _failures = [];
    private int _nextTag;
    private LocalPostgres _postgres = null!;

    /// <summary>OrleansJobs' end-to-end rate on one silo with one job per call, its sustained maximum for the steady loads (run at 50 % and 90 % of it), unless the run was given one.</summary>
    private double? _maxRate = steadyBase;

    public async Task<int> RunAsync()
    {
        Console.WriteLine($"OrleansJobs benchmark, {plan.Mode} run: systems {string.Join(", ", plan.Systems)}; scenarios {string.Join(", ", plan.Scenarios)}");
        await using var postgres = await LocalPostgres.StartAsync();
        _postgres = postgres;
        if (plan.Systems.Contains("orleansjobs"))
        {
            await RunSystemAsync(async () => await OrleansJobsSystem.StartAsync(await postgres.CreateDatabaseAsync("bench_orleansjobs_1"), 1, Concurrency), plan.DrainJobs, plan.RetryJobs, all: true);
            if (plan.Scenarios.Contains("drain"))
            {
                await RunSystemAsync(async () => await OrleansJobsSystem.StartAsync(await postgres.CreateDatabaseAsync("bench_orleansjobs_3"), 3, Concurrency), plan.DrainJobs, plan.RetryJobs, all: false);
            }
        }

        if (plan.Systems.Contains("hangfire"))
        {
            // Hangfire.PostgreSql runs a smaller N: at its rate, a million jobs would take hours.
            await RunSystemAsync(async () => await HangfireSystem.StartAsync(await postgres.CreateDatabaseAsync("bench_hangfire"), workers: 40, [.. Queues, "flood", "trickle"]),
                plan.HangfireJobs, plan.HangfireJobs, all: true);
        }

        if (plan.Systems.Contains("bullmq"))
        {
            await RunSystemAsync(async () => await BullMqSystem.StartAsync("everysec", processes: 2, concurrency: 50, [.. Queues, "flood", "trickle"]), plan.DrainJobs, plan.RetryJobs, all: true);
            if (plan.Mode == "full" && plan.Scenarios.Contains("drain"))
            {
                // The durability OrleansJobs and Hangfire have on PostgreSQL (synchronous_commit on): every write fsynced before it is acknowledged.
                await RunSystemAsync(async () => await BullMqSystem.StartAsync("always", processes: 2, concurrency: 50, [.. Queues, "flood", "trickle"]), plan.DrainJobs, plan.RetryJobs, all: false);
            }
        }

        if (plan.Runs("ceiling", "drain"))
        {
            await postgres.CheckpointAsync();
            _figures.AddRange(await new PostgresCeiling(postgres, plan.DrainJobs, workers: 8, batch: 1000).RunAsync(Console.Out, plan.CeilingRuns));
        }

        if (plan.Runs("orleansjobs", "backlog"))
        {
            foreach (var waiting in plan.Backlogs)
            {
                await postgres.CheckpointAsync();
                _figures.Add(await BacklogScale.RunAsync(postgres, waiting, plan.BacklogMeasured, Concurrency, plan.BacklogRounds, _nextTag++));
            }
        }

        if (plan.Runs("orleansjobs", "explorer"))
        {
            await postgres.CheckpointAsync();
            _figures.Add(await ExplorerPages.RunAsync(postgres, plan.ExplorerJobs, plan.ExplorerSamples));
        }

        if (plan.Runs("orleansjobs", "scale-out"))
        {
            const double CpuMs = 5;
            var iterations = ScaleOut.Calibrate(TimeSpan.FromMilliseconds(CpuMs));
            Console.WriteLine($"  scale-out: {plan.ScaleOutJobs} jobs of {iterations:N0} spin iterations (~{CpuMs} ms CPU each)");
            await postgres.CheckpointAsync();
            _figures.AddRange(await ScaleOut.RunAsync(postgres, plan.ScaleOutJobs, iterations, CpuMs, plan.ScaleOutRounds, _nextTag));
            _nextTag += 3 * plan.ScaleOutRounds;
        }

        if (plan.Runs("orleansjobs", "retry-storm"))
        {
            await postgres.CheckpointAsync();
            _figures.AddRange(await RetryStorm.RunAsync(postgres, plan.Storm, _settings));
        }

        var report = new Report(DateTimeOffset.UtcNow, plan.Mode, Machine.Read(), await postgres.SettingsAsync(), _settings, _figures);
        Console.WriteLine();
        Console.WriteLine(report.Table());
        var path = output ?? Path.Combine(Repository.Root, "Bench", "results", $"{plan.Mode}.json");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllTextAsync(path, report.Json());
        Console.WriteLine($"JSON: {path}");
        foreach (var failure in _failures)
        {
            Console.WriteLine($"FAILED: {failure}");
        }

        return _failures.Count > 0 || _figures.Any(f => f.Note?.Contains("WRONG", StringComparison.Ordinal) == true) ? 1 : 0;
    }

    /// <summary>Starts a system, runs the plan's scenarios on it (only the drain unless <paramref name="all"/>), stops it.</summary>
    private async Task RunSystemAsync(Func<Task<IJobSystem>> start, int drainJobs, int retryJobs, bool all)
    {
        try
        {
            await RunScenariosAsync(start, drainJobs, retryJobs, all);
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
        {
            // One system failing to start or finish must not cost the others' figures; the report says what happened.
            Console.WriteLine($"    FAILED: {ex.Message}");
            _failures.Add(ex.Message);
        }
    }

    private async Task RunScenariosAsync(Func<Task<IJobSystem>> start, int drainJobs, int retryJobs, bool all)
    {
        var pending = new List<PendingFigure>();
        StartLog starts;
        await using (var system = await start())
        {
            Console.WriteLine($"  {system.Name} ({system.Setup})");
            _settings[$"{system.Name} ({system.Setup})"] = system.Settings;
            var producers = system.MaxBatch == 1 ? 32 : 8;

            // Warm-up: every queue active, code paths compiled, pools filled.
            await system.ProduceAsync(new Load(Queues.Length * 10, Math.Min(10, system.MaxBatch), null, 4, Queues, new LoadShape(-1)));
            await Completion.WaitAsync(system, Queues.Length * 10, TimeSpan.FromMinutes(2));

            var capacity = double.PositiveInfinity;
            if (plan.Scenarios.Contains("drain"))
            {
                Console.WriteLine($"    drain: {drainJobs} jobs");
                await _postgres.CheckpointAsync();
                var (drain, endToEnd) = await SharedScenarios.DrainAsync(system, drainJobs, Queues, producers, _nextTag++);
                pending.Add(drain);
                capacity = endToEnd;
            }

            if (all && plan.Scenarios.Contains("drain") && system.MaxBatch > 1)
            {
                // Web apps enqueue one job per request: the rate at that grain is what steady load is measured against.
                var singles = Math.Max(drainJobs / 5, 1000);
                Console.WriteLine($"    drain: {singles} jobs, 1 per call");
                await _postgres.CheckpointAsync();
                var (drain, endToEnd) = await SharedScenarios.DrainAsync(system, singles, Queues, producers: 64, _nextTag++, batch: 1);
                pending.Add(drain);
                capacity = endToEnd;
            }

            _maxRate ??= double.IsFinite(capacity) ? capacity : null;

            if (all && plan.Scenarios.Contains("steady") && _maxRate is { } max)
            {
                foreach (var share in new[] { 0.5, 0.9 })
                {
                    var rate = Math.Round(max * share);
                    if (rate > capacity)
                    {
                        // Offered more than it drains, it would only grow a backlog for minutes: say so instead.
                        var label = $"steady {share:P0}";
                        var skipped = $"skipped: {rate:0}/s offered is above its own drain rate ({capacity:0}/s end to end)";
                        Console.WriteLine($"    {label} {skipped}");
                        pending.Add(_ => new Figure(label, system.Name, system.Setup, 0, [new("offered/s", rate)], skipped));
                        continue;
                    }

                    Console.WriteLine($"    steady: {rate} jobs/s for {plan.SteadyDuration.TotalSeconds} s");
                    await _postgres.CheckpointAsync();
                    pending.Add(await SharedScenarios.SteadyAsync(system, $"steady {share:P0}", rate, plan.SteadyDuration, Queues, _nextTag++));
                }
            }

            if (all && plan.Scenarios.Contains("retries"))
            {
                Console.WriteLine($"    retries: {retryJobs} jobs");
                await _postgres.CheckpointAsync();
                pending.Add(await SharedScenarios.RetriesAsync(system, retryJobs, Queues, producers, _nextTag++));
            }

            if (all && plan.Scenarios.Contains("fairness"))
            {
                // A backlog the system needs about the trickle's duration to work off.
                var flood = (int)Math.Min(drainJobs, (double.IsFinite(capacity) ? capacity : 1000) * plan.FairnessDuration.TotalSeconds);
                Console.WriteLine($"    fairness: {flood} flood jobs, 20/s trickle");
                await _postgres.CheckpointAsync();
                pending.Add(await SharedScenarios.FairnessAsync(system, flood, 20, plan.FairnessDuration, producers, _nextTag++, _nextTag++, _nextTag++));
            }

            starts = await system.StopAsync();
        }

        var figures = pending.Select(p => p(starts)).ToList();
        _figures.AddRange(figures);
    }
}
