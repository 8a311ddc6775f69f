namespace OrleansJobs.Execution;

/// <summary>
/// Deficit round robin over queues: each queue with waiting work takes turns, and on its turn may
/// start as many items as its weight (a tenant's share). A queue with a million waiting items gets
/// the same turns as one with ten, so it cannot starve it. Pure and not thread-safe: the executor
/// holds a lock around it.
/// </summary>
internal sealed class FairScheduler<TKey, TItem>
    where TKey : notnull
{
    private readonly Dictionary<TKey, Lane> _lanes = [];
    private readonly LinkedList<Lane> _ring = [];
    private LinkedListNode<Lane>? _turn;

    /// <summary>Items waiting across all queues.</summary>
    public int Count { get; private set; }

    /// <summary>Adds an item to its queue's lane; <paramref name="weight"/> (at least 1) is the lane's share per turn.</summary>
    public void Enqueue(TKey key, double weight, TItem item)
    {
        if (!_lanes.TryGetValue(key, out var lane))
        {
            lane = new Lane(key);
            _lanes.Add(key, lane);
        }

        lane.Weight = Math.Max(1, weight);
        lane.Items.Enqueue(item);
        if (lane.Node is null)
        {
            lane.Node = _ring.AddLast(lane);
        }

        Count++;
    }

    /// <summary>The next item by deficit round robin, or false when nothing waits.</summary>
    public bool TryDequeue(out TItem item)
    {
        while (_ring.Count > 0)
        {
            _turn ??= _ring.First!;
            var lane = _turn.Value;
            if (lane.Deficit < 1)
            {
                lane.Deficit += lane.Weight;
            }

            if (lane.Items.TryDequeue(out item!))
            {
                lane.Deficit -= 1;
                Count--;
                if (lane.Items.Count == 0)
                {
                    // An idle lane keeps no credit, so a queue cannot save up turns while empty.
                    Leave(lane);
                }
                else if (lane.Deficit < 1)
                {
                    _turn = _turn.Next;
                }

                return true;
            }

            Leave(lane);
        }

        item = default!;
        return false;
    }

    private void Leave(Lane lane)
    {
        var next = lane.Node!.Next;
        _ring.Remove(lane.Node);
        lane.Node = null;
        lane.Deficit = 0;
        _lanes.Remove(lane.Key);
        _turn = next;
    }

    private sealed class Lane(TKey key)
    {
        public TKey Key { get; } = key;

        public Queue<TItem> Items { get; } = new();

        public double Weight { get; set; } = 1;

        public double Deficit { get; set; }

        public LinkedListNode<Lane>? Node { get; set; }
    }
}
