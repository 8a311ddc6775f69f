using OrleansJobs.Storage;

namespace OrleansJobs.Queues.Core;

/// <summary>Where the queue's due clock stands.</summary>
internal enum DueState
{
    /// <summary>Nothing is scheduled; no timer is armed.</summary>
    Idle,

    /// <summary>A timer is armed for the earliest scheduled job.</summary>
    Armed,

    /// <summary>A promotion of due jobs is in flight.</summary>
    Checking,
}

/// <summary>
/// When the queue's scheduled jobs (delayed, retries) come due: the earliest run-at it knows of, the
/// one timer armed for it, and the promotion that moves due jobs to enqueued. Checks are at least
/// <paramref name="minInterval"/> apart, so a stream of retries is promoted in batches.
/// </summary>
internal sealed class DueClock(TimeSpan minInterval, TimeSpan retryDelay)
{
    private DateTimeOffset? _notedDuringCheck;
    private DateTimeOffset _lastCheck = DateTimeOffset.MinValue;

    /// <summary>The earliest run-at of a scheduled job the queue knows of; null when none is.</summary>
    public DateTimeOffset? NextDue { get; private set; }

    /// <summary>When the timer fires; null when it is disarmed.</summary>
    public DateTimeOffset? ArmedAt { get; private set; }

    public DueState State => Checking ? DueState.Checking : NextDue is null ? DueState.Idle : DueState.Armed;

    private bool Checking { get; set; }

    /// <summary>Starts from the store's earliest scheduled run-at.</summary>
    public ArmDueTimer Start(DateTimeOffset? nextDue)
    {
        NextDue = nextDue;
        return Arm();
    }

    /// <summary>A job was scheduled: arm the timer sooner if it is due before anything known.</summary>
    public ArmDueTimer? Note(DateTimeOffset runAt)
    {
        if (Checking && (_notedDuringCheck is null || runAt < _notedDuringCheck))
        {
            _notedDuringCheck = runAt;
        }

        if (NextDue is null || runAt < NextDue)
        {
            NextDue = runAt;
            return Arm();
        }

        return null;
    }

    /// <summary>The timer fired or the queue was woken: promote what is due, unless a promotion is in flight.</summary>
    public PromoteDue? Check(DateTimeOffset now, int limit)
    {
        if (Checking)
        {
            return null;
        }

        Checking = true;
        _notedDuringCheck = null;
        _lastCheck = now;
        ArmedAt = null;
        return new PromoteDue(now, limit);
    }

    /// <summary>The promotion committed; <paramref name="next"/> is the earliest run-at still scheduled.</summary>
    public ArmDueTimer Checked(DateTimeOffset? next)
    {
        Checking = false;

        // A job scheduled while the promotion ran may be missing from its answer.
        NextDue = _notedDuringCheck is { } noted && (next is null || noted < next) ? noted : next;
        return Arm();
    }

    /// <summary>The promotion failed: try again after the store's retry delay.</summary>
    public ArmDueTimer CheckFailed(DateTimeOffset now) => Checked(now + retryDelay);

    private ArmDueTimer Arm()
    {
        if (NextDue is not { } due)
        {
            ArmedAt = null;
            return new ArmDueTimer(null);
        }

        var earliest = _lastCheck == DateTimeOffset.MinValue ? due : _lastCheck + minInterval;
        ArmedAt = due > earliest ? due : earliest;
        return new ArmDueTimer(ArmedAt);
    }
}
