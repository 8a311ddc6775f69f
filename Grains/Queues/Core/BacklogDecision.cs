using OrleansJobs.Grains;

namespace OrleansJobs.Queues.Core;

/// <summary>Whether new jobs fit the queue's backlog.</summary>
internal abstract record BacklogDecision
{
    /// <summary>They fit (or the queue has no max backlog); their room is held.</summary>
    public static readonly BacklogDecision Accepted = new AcceptedDecision();

    private sealed record AcceptedDecision : BacklogDecision;
}

/// <summary>They fit once <paramref name="Count"/> due jobs of lower priority than <paramref name="Above"/> are shed.</summary>
internal sealed record ShedFirst(JobPriority Above, int Count) : BacklogDecision;

/// <summary>They do not fit: <paramref name="Excess"/> jobs too many.</summary>
internal sealed record BacklogFull(long Excess) : BacklogDecision;
