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

    /// <summary>The store counted the queue (or the policy changed): start again from its count.</summary>
    public void Counted(long? waiting) => Waiting = waiting;

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
