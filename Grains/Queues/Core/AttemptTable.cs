using OrleansJobs.Storage;

namespace OrleansJobs.Queues.Core;

/// <summary>Where one attempt of this activation stands. It only moves forward, and leaves the table when its outcome is stored or given up.</summary>
internal enum AttemptPhase
{
    /// <summary>A lease was asked for; the job's row still reads as enqueued until it commits.</summary>
    Leasing,

    /// <summary>Inserted with its first attempt already leased; the insert has not committed yet.</summary>
    Inserting,

    /// <summary>The handler runs (or waits for a worker slot).</summary>
    Running,

    /// <summary>The handler ended; its outcome is being written under the attempt's lease.</summary>
    Recording,
}

/// <summary>
/// The attempts an activation holds, by phase. Leasing, inserting and running attempts take the
/// queue's concurrency budget; every phase holds the job, so a sweep must never requeue it.
/// </summary>
internal sealed class AttemptTable
{
    private readonly Dictionary<JobId, AttemptPhase> _phases = [];

    /// <summary>Attempts that count against the concurrency budget: all but those recording.</summary>
    public int InBudget { get; private set; }

    /// <summary>Attempts whose rows are being leased (they read as enqueued in the store meanwhile).</summary>
    public int Leasing { get; private set; }

    /// <summary>Every attempt held, in any phase.</summary>
    public int Count => _phases.Count;

    public bool Holds(JobId id) => _phases.ContainsKey(id);

    public AttemptPhase? PhaseOf(JobId id) => _phases.TryGetValue(id, out var phase) ? phase : null;

    /// <summary>The ids held, for a sweep to leave alone.</summary>
    public JobId[] HeldIds() => [.. _phases.Keys];

    public void Begin(JobId id, AttemptPhase phase)
    {
        if (phase is not (AttemptPhase.Leasing or AttemptPhase.Inserting))
        {
            throw new ArgumentOutOfRangeException(nameof(phase), phase, "An attempt begins leasing or inserting.");
        }

        _phases.Add(id, phase);
        InBudget++;
        Leasing += phase == AttemptPhase.Leasing ? 1 : 0;
    }

    /// <summary>The lease or insert committed: the handler may run.</summary>
    public void Run(JobId id) => Move(id, AttemptPhase.Running);

    /// <summary>The handler ended: the budget slot is free, the job stays held until its outcome is stored.</summary>
    public void Record(JobId id) => Move(id, AttemptPhase.Recording);

    /// <summary>The attempt is over (outcome stored or given up, lease refused, insert not stored).</summary>
    public bool End(JobId id)
    {
        if (!_phases.Remove(id, out var phase))
        {
            return false;
        }

        Leasing -= phase == AttemptPhase.Leasing ? 1 : 0;
        InBudget -= phase == AttemptPhase.Recording ? 0 : 1;
        return true;
    }

    private void Move(JobId id, AttemptPhase to)
    {
        var from = _phases[id];
        if (to <= from || (from == AttemptPhase.Leasing && to != AttemptPhase.Running) || (from == AttemptPhase.Inserting && to != AttemptPhase.Running))
        {
            throw new InvalidOperationException($"Attempt of job {id} cannot move from {from} to {to}.");
        }

        _phases[id] = to;
        Leasing -= from == AttemptPhase.Leasing ? 1 : 0;
        InBudget -= to == AttemptPhase.Recording ? 1 : 0;
    }
}
