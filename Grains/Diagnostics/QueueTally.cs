namespace OrleansJobs.Diagnostics;

/// <summary>
/// What this silo counted per queue since the history recorder last took the counts: jobs enqueued,
/// attempts succeeded and failed, jobs dead-lettered. Fed by <see cref="JobsMetrics"/>, taken by
/// <see cref="QueueHistoryRecorder"/>. Memory is one entry per queue that counted anything since the last take.
/// </summary>
internal sealed class QueueTally
{
    private readonly Lock _lock = new();
    private Dictionary<QueueKey, TallyCounts> _counts = [];

    public void Enqueued(QueueKey queue, int count) => Add(queue, count, 0, 0, 0);

    public void Succeeded(QueueKey queue) => Add(queue, 0, 1, 0, 0);

    public void Failed(QueueKey queue) => Add(queue, 0, 0, 1, 0);

    public void DeadLettered(QueueKey queue) => Add(queue, 0, 0, 0, 1);

    /// <summary>Everything counted since the last take; counting starts again from zero.</summary>
    public IReadOnlyDictionary<QueueKey, TallyCounts> Take()
    {
        lock (_lock)
        {
            var taken = _counts;
            _counts = [];
            return taken;
        }
    }

    /// <summary>Puts back counts that could not be written, so the next take carries them.</summary>
    public void Restore(IReadOnlyDictionary<QueueKey, TallyCounts> counts)
    {
        foreach (var (queue, c) in counts)
        {
            Add(queue, c.Enqueued, c.Succeeded, c.Failed, c.DeadLettered);
        }
    }

    private void Add(QueueKey queue, long enqueued, long succeeded, long failed, long dead)
    {
        lock (_lock)
        {
            ref var counts = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_counts, queue, out _);
            counts = new TallyCounts(counts.Enqueued + enqueued, counts.Succeeded + succeeded, counts.Failed + failed, counts.DeadLettered + dead);
        }
    }
}

/// <summary>One queue's counts over some span.</summary>
internal readonly record struct TallyCounts(long Enqueued, long Succeeded, long Failed, long DeadLettered);
