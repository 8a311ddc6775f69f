using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace OrleansJobs.Diagnostics;

/// <summary>One queue's levels at a moment: what waits, what runs, what is dead, how long it will take.</summary>
internal readonly record struct QueueLevels(long Backlog, long Scheduled, long InFlight, long DeadLettered, double OldestWaitingSeconds, double DrainSeconds, int ConcurrencyLimit, int BreakerState);

/// <summary>
/// The levels of the queues this silo owns, read when the metrics are collected. Each queue grain
/// registers a reader of its own state on activation and withdraws it on deactivation, so a queue
/// is reported by exactly one silo at a time (sum across silos by tenant and job type).
/// </summary>
internal sealed class QueueGauges
{
    private readonly ConcurrentDictionary<QueueKey, Func<QueueLevels>> _queues = new();

    /// <summary>How many queues this silo owns now.</summary>
    public int Count => _queues.Count;

    public void Publish(QueueKey queue, Func<QueueLevels> read) => _queues[queue] = read;

    public void Withdraw(QueueKey queue) => _queues.TryRemove(queue, out _);

    /// <summary>Every owned queue's levels now.</summary>
    public IEnumerable<(QueueKey Queue, QueueLevels Levels)> Read()
    {
        foreach (var (queue, read) in _queues)
        {
            yield return (queue, read());
        }
    }

    public IEnumerable<Measurement<T>> Measure<T>(Func<QueueLevels, T> pick)
        where T : struct
    {
        foreach (var (queue, read) in _queues)
        {
            yield return new Measurement<T>(pick(read()), JobsMetrics.Tags(queue));
        }
    }
}
