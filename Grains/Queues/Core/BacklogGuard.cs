using OrleansJobs.Grains;
using OrleansJobs.Policies;
using OrleansJobs.Storage;

namespace OrleansJobs.Queues.Core;

/// <summary>
/// The queue's max backlog: how many jobs wait in the store (scheduled or enqueued), tracked only
/// while the policy sets a max, and whether new jobs fit. Room is held when jobs are accepted and
/// given back when they start, are cancelled or were not stored.
/// </summary>
internal sealed class BacklogGuard(long? waiting)
{
    /// <summary>Jobs waiting in the store; null while the queue has no max backlog.</summary>
    public long? Waiting { get; private set; } = waiting;

    /// <summary>The store counted the queue after someone changed its backlog behind its back: start again from that count.</summary>
    public void Counted(long? waiting) => Waiting = waiting;

    /// <summary>
    /// The policy changed. A queue that already keeps the count goes on with its own: a count read from
    /// the store while the queue's own writes are in flight would miss or double those rows. One that
    /// starts keeping it (a max backlog newly set) takes <paramref name="storeWaiting"/>.
    /// </summary>
    public void PolicyChanged(EffectiveQueuePolicy policy, long storeWaiting) =>
        Waiting = policy.MaxBacklog is null ? null : Waiting ?? storeWaiting;

    /// <summary>Whether new jobs fit; a queue that sheds asks for its shed first, once.</summary>
    public BacklogDecision Reserve(EffectiveQueuePolicy policy, IReadOnlyList<NewJob> rows, bool shedDone)
    {
        if (policy.MaxBacklog is not { } max || Waiting is not { } waiting)
        {
            return BacklogDecision.Accepted;
        }

        var excess = waiting + rows.Count - max;
        if (excess > 0 && !shedDone && policy.Overflow == OverflowPolicy.ShedLowestPriority)
        {
            // Only jobs below every new job's priority may make way for them.
            return new ShedFirst(rows.Max(r => r.Priority), (int)Math.Min(excess, int.MaxValue));
        }

        if (excess > 0)
        {
            return new BacklogFull(excess);
        }

        Waiting = waiting + rows.Count;
        return BacklogDecision.Accepted;
    }

    /// <summary>Jobs joined the backlog (a retry scheduled, a sweep's requeue).</summary>
    public void Joined(int count) => Waiting += count;

    /// <summary>Jobs left the backlog (started, cancelled, shed, or not stored after all).</summary>
    public void Left(int count = 1) => Waiting -= count;
}
