using OrleansJobs.Queues.Core;

namespace OrleansJobs.Execution;

/// <summary>
/// One queue activation's share of the silo's <see cref="WorkerRoom"/>: what it holds, and its place
/// in line while it waits. Closing it gives everything back, so an activation that stops, however it
/// stops, leaves no room taken.
/// </summary>
internal sealed class QueueRoom(WorkerRoom room, int weight) : IAttemptRoom
{
    /// <summary>Units a turn in line brings, the tenant's weight.</summary>
    internal int Weight { get; } = weight;

    /// <summary>Units this activation holds now; the room's lock guards it.</summary>
    internal int Held { get; set; }

    internal int Wanted { get; set; }

    internal bool Closed { get; set; }

    internal TaskCompletionSource<int>? Wait { get; set; }

    internal LinkedListNode<QueueRoom>? Node { get; set; }

    public int TryTake(int wanted) => room.TryTake(this, wanted);

    public void Give(int units) => room.Give(this, units);

    /// <summary>Completes with the units granted once the queue's turn comes (already counted as held), or 0 once closed.</summary>
    public Task<int> WaitAsync(int wanted) => room.WaitAsync(this, wanted);

    public void Close() => room.Close(this);
}
