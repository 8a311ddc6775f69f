namespace OrleansJobs.Tests.Simulation;

/// <summary>Which attempts a lease sweep leaves alone; the older rules are kept to show the simulator finds their races.</summary>
public enum SweepRule
{
    /// <summary>Every attempt the core holds, as its command says.</summary>
    AsCommanded,

    /// <summary>Only attempts whose handler runs: the rule before defb6ef, which requeued an attempt whose outcome was being written.</summary>
    RunningOnly,

    /// <summary>None: the rule before d4ba7d1, which requeued attempts the queue still held in the worker line.</summary>
    NothingHeld,
}
