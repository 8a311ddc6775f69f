namespace OrleansJobs.Tests.Simulation;

/// <summary>A broken invariant or promise, with the seed that replays it and the steps that led there.</summary>
public sealed class SimulationFailure(int seed, string what, IEnumerable<string> trace)
    : Exception($"Seed {seed}: {what}\nReplay it with QueueSimulationTests.Replay({seed}). Last steps:\n  {string.Join("\n  ", trace)}")
{
    public int Seed { get; } = seed;

    public string What { get; } = what;
}
