using OrleansJobs.Storage;

namespace OrleansJobs.Queues;

/// <summary>
/// The due jobs a queue keeps in memory, at most <see cref="Capacity"/>, in run order (priority,
/// then run-at, then id). Kept as the best jobs of the queue: a better job arriving when the window
/// is full evicts the worst, which stays in the store to be paged in later.
/// </summary>
internal sealed class ReadyWindow(int capacity)
{
    /// <summary>Run order: priority, then run-at, then id.</summary>
    public static readonly Comparer<ReadyJob> RunOrder = Comparer<ReadyJob>.Create(static (a, b) =>
    {
        var c = a.Priority.CompareTo(b.Priority);
        if (c == 0)
        {
            c = a.RunAt.CompareTo(b.RunAt);
        }

        return c != 0 ? c : a.Id.CompareTo(b.Id);
    });

    private readonly SortedSet<ReadyJob> _ordered = new(RunOrder);
    private readonly Dictionary<JobId, ReadyJob> _byId = [];

    public int Capacity { get; } = capacity;

    public int Count => _byId.Count;

    public bool Contains(JobId id) => _byId.ContainsKey(id);

    /// <summary>The jobs here in run order.</summary>
    public IEnumerable<ReadyJob> InRunOrder => _ordered;

    /// <summary>The job that runs last of those here; null when the window is empty.</summary>
    public ReadyJob? Last => _ordered.Count == 0 ? null : _ordered.Max;

    /// <summary>Whether <paramref name="job"/> runs after every job here (true when the window is empty).</summary>
    public bool RunsAfterAll(ReadyJob job) => _ordered.Count == 0 || RunOrder.Compare(job, _ordered.Max) > 0;

    /// <summary>
    /// Adds the job unless it is already here or the window is full of better jobs. Returns whether
    /// the store now holds a due job the window lacks: the job itself, or the one it evicted.
    /// </summary>
    public bool Offer(ReadyJob job)
    {
        if (_byId.ContainsKey(job.Id))
        {
            return false;
        }

        if (_byId.Count < Capacity)
        {
            Add(job);
            return false;
        }

        var worst = _ordered.Max;
        if (RunOrder.Compare(job, worst) < 0)
        {
            Remove(worst.Id);
            Add(job);
        }

        return true;
    }

    /// <summary>Removes every job that runs after <paramref name="last"/> (they stay in the store); returns how many.</summary>
    public int RemoveAfter(ReadyJob last)
    {
        var removed = 0;
        while (_ordered.Count > 0 && RunOrder.Compare(_ordered.Max, last) > 0)
        {
            Remove(_ordered.Max.Id);
            removed++;
        }

        return removed;
    }

    public bool TryTakeFirst(out ReadyJob job)
    {
        if (_ordered.Count == 0)
        {
            job = default;
            return false;
        }

        job = _ordered.Min;
        Remove(job.Id);
        return true;
    }

    public bool Remove(JobId id)
    {
        if (!_byId.Remove(id, out var job))
        {
            return false;
        }

        _ordered.Remove(job);
        return true;
    }

    private void Add(ReadyJob job)
    {
        _byId.Add(job.Id, job);
        _ordered.Add(job);
    }
}
