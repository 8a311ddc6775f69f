namespace OrleansJobs.Queues.Core;

/// <summary>
/// The room a queue needs before it leases a job: one unit per attempt, from the lease until its
/// handler ends. The silo has a fixed amount of it (its worker slots, a little lease-ahead, and what
/// other silos have free), so a queue leases only what can start soon. Synchronous and in memory,
/// so the core may call it; a queue that gets less than it wants asks to wait with
/// <see cref="WaitForRoom"/> and hears <see cref="QueueCore.RoomGranted"/>.
/// </summary>
internal interface IAttemptRoom
{
    /// <summary>Takes up to <paramref name="wanted"/> units now; none while other queues wait for room, so they are served in turn.</summary>
    int TryTake(int wanted);

    /// <summary>Gives back units the queue no longer needs.</summary>
    void Give(int units);
}
