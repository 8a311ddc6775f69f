namespace OrleansJobs.Bench;

/// <summary>What a run measures and how big: the full run or the quick smoke run CI makes.</summary>
internal sealed record BenchPlan(
    string Mode,
    IReadOnlySet<string> Systems,
    IReadOnlySet<string> Scenarios,
    int DrainJobs,
    int HangfireJobs,
    int RetryJobs,
    TimeSpan SteadyDuration,
    TimeSpan FairnessDuration,
    long[] Backlogs,
    int BacklogMeasured,
    int BacklogRounds,
    int ScaleOutJobs,
    int ScaleOutRounds,
    int CeilingRuns,
    Scenarios.StormTimes Storm,
    long ExplorerJobs,
    int ExplorerSamples)
{
    public static readonly string[] AllScenarios = ["drain", "steady", "retries", "fairness", "backlog", "scale-out", "retry-storm", "explorer"];

    public static BenchPlan Create(bool quick, int? jobs, string[] systems, string[] scenarios)
    {
        var unknown = systems.Except(["orleansjobs", "hangfire", "bullmq", "ceiling"]).Concat(scenarios.Except(AllScenarios)).ToArray();
        if (unknown.Length > 0)
        {
            throw new ArgumentException($"Unknown system or scenario: {string.Join(", ", unknown)}");
        }

        return quick
            ? new BenchPlan("quick", systems.ToHashSet(), scenarios.ToHashSet(), jobs ?? 10_000, 500, 3_000,
                TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(3), [10_000, 50_000], 10_000, 1, 400, 1, 1,
                new(TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(6), TimeSpan.FromSeconds(60)), 20_000, 20)
            : new BenchPlan("full", systems.ToHashSet(), scenarios.ToHashSet(), jobs ?? 1_000_000, 10_000, 100_000,
                TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(30), [10_000, 10_000_000], 10_000, 3, 6_000, 3, 3,
                new(TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(60), TimeSpan.FromMinutes(5)), 10_000_000, 200);
    }

    public bool Runs(string system, string scenario) => Systems.Contains(system) && Scenarios.Contains(scenario);
}
