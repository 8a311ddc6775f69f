using System.CommandLine;
using OrleansJobs.Bench;
using OrleansJobs.Bench.Scenarios;
using OrleansJobs.Bench.Workers;

var quick = new Option<bool>("--quick") { Description = "Small N for every system and scenario: a smoke run of the harness (CI)." };
var jobs = new Option<int?>("--jobs") { Description = "Jobs per OrleansJobs and BullMQ drain (default 1 000 000, or 10 000 with --quick)." };
var systems = new Option<string[]>("--systems")
{
    Description = "Systems to run: orleansjobs, hangfire, bullmq, ceiling.",
    DefaultValueFactory = _ => ["orleansjobs", "hangfire", "bullmq", "ceiling"],
    AllowMultipleArgumentsPerToken = true,
};
var scenarios = new Option<string[]>("--scenarios")
{
    Description = "Scenarios to run: drain, steady, retries, fairness, backlog, scale-out, retry-storm, explorer.",
    DefaultValueFactory = _ => [.. BenchPlan.AllScenarios],
    AllowMultipleArgumentsPerToken = true,
};
var steadyBase = new Option<double?>("--steady-base")
{
    Description = "The rate (jobs/s) the steady loads are 50 % and 90 % of; by default OrleansJobs' own one-job-per-call drain rate measured in the run. Set it to compare two builds at the same offered rates.",
};
var output = new Option<string?>("--out") { Description = "Where to write the JSON report (default Bench/results/<mode>.json)." };
var root = new RootCommand("Benchmarks OrleansJobs against Hangfire, BullMQ and the PostgreSQL ceiling, side by side on this machine.")
{
    quick, jobs, systems, scenarios, steadyBase, output,
};
root.SetAction(r =>
{
    var plan = BenchPlan.Create(r.GetValue(quick), r.GetValue(jobs), r.GetValue(systems)!, r.GetValue(scenarios)!);
    return new BenchRun(plan, r.GetValue(output), r.GetValue(steadyBase)).RunAsync();
});

// The worker roles the benchmark starts this program in, one process each.
var silo = new Command("orleansjobs-silo") { Hidden = true };
var siloArgs = new Argument<string[]>("args") { Arity = new ArgumentArity(6, 6) };
silo.Add(siloArgs);
silo.SetAction(r =>
{
    var a = r.GetValue(siloArgs)!;
    return OrleansJobsSilo.RunAsync(a[0], int.Parse(a[1]), int.Parse(a[2]), int.Parse(a[3]), int.Parse(a[4]), a[5]);
});
root.Add(silo);

var hangfire = new Command("hangfire-worker") { Hidden = true };
var hangfireArgs = new Argument<string[]>("args") { Arity = new ArgumentArity(4, 100) };
hangfire.Add(hangfireArgs);
hangfire.SetAction(r =>
{
    var a = r.GetValue(hangfireArgs)!;
    return HangfireWorker.RunAsync(a[0], int.Parse(a[1]), a[3..], a[2]);
});
root.Add(hangfire);

var spin = new Command("spin") { Hidden = true };
var spinSeconds = new Argument<double>("seconds");
spin.Add(spinSeconds);
spin.SetAction(r => ScaleOut.SpinFor(TimeSpan.FromSeconds(r.GetValue(spinSeconds))));
root.Add(spin);

// Each role handles SIGTERM itself (the host's lifetime, Hangfire's server), so that it can write what it recorded.
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
