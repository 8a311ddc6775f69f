using System.CommandLine;
using OrleansJobs.Bench;
using OrleansJobs.Bench.Infrastructure;
using OrleansJobs.Bench.Scenarios;

var quick = new Option<bool>("--quick") { Description = "Small N for every system: a smoke run of the harness (CI)." };
var jobs = new Option<int?>("--jobs") { Description = "Jobs per drain run (default 1 000 000, or 20 000 with --quick)." };
var silos = new Option<int[]>("--silos") { Description = "OrleansJobs cluster sizes to run.", DefaultValueFactory = _ => [1, 3], AllowMultipleArgumentsPerToken = true };
var output = new Option<string?>("--out") { Description = "Where to write the JSON report (default Bench/results/<mode>.json)." };
var root = new RootCommand("Benchmarks OrleansJobs against the store's ceiling on a throwaway PostgreSQL, side by side.") { quick, jobs, silos, output };
root.SetAction(async r =>
{
    var mode = r.GetValue(quick) ? "quick" : "full";
    var n = r.GetValue(jobs) ?? (r.GetValue(quick) ? 20_000 : 1_000_000);
    Console.WriteLine($"Starting a throwaway PostgreSQL ({mode} run, {n} jobs per drain)");
    await using var postgres = await LocalPostgres.StartAsync();
    var results = new List<DrainResult>();
    foreach (var count in r.GetValue(silos)!)
    {
        results.Add(await new OrleansJobsDrain(postgres, count, n, queues: 12 * count, producers: 8, batch: 1000, concurrency: 64).RunAsync(Console.Out));
    }

    results.Add(await new PostgresCeiling(postgres, n, workers: 8, batch: 1000).RunAsync(Console.Out));

    var report = new Report(DateTimeOffset.UtcNow, mode, Machine.Read(), await postgres.SettingsAsync(), results);
    Console.WriteLine();
    Console.WriteLine(report.Table());
    var path = r.GetValue(output) ?? Path.Combine(Repository.Root, "Bench", "results", $"{mode}.json");
    Directory.CreateDirectory(Path.GetDirectoryName(path)!);
    await File.WriteAllTextAsync(path, report.Json());
    Console.WriteLine($"JSON: {path}");
    return 0;
});
return await root.Parse(args).InvokeAsync();
