using OrleansJobs.Policies;
using OrleansJobs.Storage;

namespace OrleansJobs.Queues.Core;

/// <summary>
/// Limits per partition key inside the queue: which due jobs may start given their keys' in-flight
/// limits, rates and breakers, and the reads that look past a window full of blocked keys.
/// </summary>
internal sealed partial class QueueCore
{
    /// <summary>The limits per partition key; null when the queue has none.</summary>
    public PartitionGate? Gate { get; private set; }

    /// <summary>Jobs of other keys read past the window; null when the queue has no partitions.</summary>
    public PartitionHeadPool? Heads { get; private set; }

    /// <summary>The window's spill count when the reads past it last took note.</summary>
    private long _spillsSeen;

    /// <summary>Builds, keeps or drops the gate for the policy. A new gate carries the attempts in flight over, so no key runs past its limit.</summary>
    private void PartitionWith(EffectiveQueuePolicy policy)
    {
        if (policy.Partitions is not { } partitions)
        {
            Gate = null;
            Heads = null;
            return;
        }

        if (Gate is { } gate && gate.Uses(partitions, policy.Breaker))
        {
            return;
        }

        var next = new PartitionGate(partitions, policy.Breaker, _clock);
        foreach (var id in Attempts.HeldIds())
        {
            if (Gate?.KeyOf(id) is { } key)
            {
                next.Began(id, key);
            }
        }

        Gate = next;
        var perKey = Math.Clamp(partitions.MaxConcurrency, 1, 8);
        Heads = new PartitionHeadPool(Math.Max(1, Math.Min(64, _settings.WindowSize / (2 * perKey))), perKey);
    }

    /// <summary>
    /// Up to <paramref name="max"/> due jobs whose keys admit them, in run order: the window's first,
    /// then those read past it. Reserves nothing: the caller begins the ones it starts. Says which keys
    /// it found blocked, and when a rate or break that blocked one ends.
    /// </summary>
    private List<ReadyJob> PickStartable(PartitionGate gate, int max, HashSet<string> blocked, out DateTimeOffset? retryAt)
    {
        retryAt = null;
        if (max <= 0)
        {
            return [];
        }

        var picks = new List<ReadyJob>(Math.Min(max, 64));

        var picked = new Dictionary<string, int>(StringComparer.Ordinal);
        DateTimeOffset? soonest = null;
        Consider(Window.InRunOrder, inWindow: true);
        if (picks.Count < max && Heads!.Count > 0)
        {
            Consider(Heads.InRunOrder, inWindow: false);
        }

        retryAt = soonest;
        return picks;

        void Consider(IEnumerable<ReadyJob> jobs, bool inWindow)
        {
            foreach (var job in jobs)
            {
                if (picks.Count == max)
                {
                    return;
                }

                if (job.Partition is not { } key)
                {
                    picks.Add(job);
                    continue;
                }

                // A job read past the window that a later page brought into it was weighed there already.
                if (blocked.Contains(key) || (!inWindow && (Window.Contains(job.Id) || Attempts.Holds(job.Id))))
                {
                    continue;
                }

                var already = picked.GetValueOrDefault(key);
                var admitted = gate.Admits(key, already, out var until, out var changed);
                Report(changed);
                if (admitted)
                {
                    picked[key] = already + 1;
                    picks.Add(job);
                    continue;
                }

                blocked.Add(key);
                if (until is { } at && !(soonest <= at))
                {
                    soonest = at;
                }
            }
        }
    }

    /// <summary>
    /// Slots are free but every job in the window waits for a blocked key, and the store has more: read
    /// the next keys' first jobs past it, so a key with a deep backlog does not hold back the others.
    /// </summary>
    private void ReadPastBlockedKeys(PartitionGate gate, HashSet<string> blocked)
    {
        if (Heads is not { } heads || Draining || !Window.StoreHasMore)
        {
            return;
        }

        // Jobs the window let go of (evicted, or never taken in) may be of keys the last read saw
        // nothing of, as may be the next jobs of a key the last read left out as blocked that is open
        // now with no job in sight (or this pass would have weighed it). A key that opens later by time
        // has no job in sight to wake the queue for it: the pump timer does.
        if (Window.Spills != _spillsSeen)
        {
            _spillsSeen = Window.Spills;
            heads.MayHaveNew();
        }

        if (heads.Reconsider(key => !blocked.Contains(key) && gate.CouldStart(key), gate.ReopensAt) is { } reopens)
        {
            Emit(new ArmPumpTimer(reopens - _clock.Now));
        }

        if (blocked.Count > 0)
        {
            Emit(heads.StartRead(blocked));
        }
    }

    public void PartitionHeadsRead(DateTimeOffset now, ReadPartitionHeads read, PartitionHeads heads)
    {
        At(now);
        Heads?.Read(read, heads, id => Attempts.Holds(id) || Window.Contains(id), key => Gate!.CouldStart(key));
        Pump();
    }

    public void PartitionHeadsReadFailed(DateTimeOffset now)
    {
        At(now);
        Heads?.ReadFailed();
        Emit(new ArmPumpTimer(_settings.StoreRetryDelay));
    }

    /// <summary>An attempt of a keyed job begins: its key's slot, token and probe place are taken.</summary>
    private void BeginInPartition(ReadyJob job)
    {
        Heads?.Remove(job.Id);
        if (job.Partition is { } key)
        {
            Gate?.Began(job.Id, key);
        }
    }
}
