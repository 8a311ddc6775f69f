namespace OrleansJobs.Storage;

/// <summary>
/// How closely one queue's writes follow each other, smoothed over its last few writes: what tells a
/// quiet queue (a trickle of single jobs, whose insert and outcome come a few milliseconds apart and
/// then nothing for a while) from a busy one (a drain, writing about every millisecond).
/// </summary>
/// <remarks>
/// The gap since the previous write alone cannot tell them apart: a trickle's outcome follows its own
/// insert within milliseconds, as a drain's writes do, and judged by that gap it looked busy and
/// queued behind other tenants' bulk work.
/// </remarks>
internal struct WritePace
{
    /// <summary>The smoothed spacing at or above which a queue counts as quiet.</summary>
    public static readonly TimeSpan QuietSpacing = TimeSpan.FromMilliseconds(10);

    /// <summary>
    /// Longer gaps count as this long, so a queue silent this long is quiet on its next write
    /// whatever it did before, and a busy queue turns quiet after one such pause.
    /// </summary>
    public static readonly TimeSpan Settled = 4 * QuietSpacing;

    private TimeSpan _spacing;

    /// <summary>The pace of a queue's first write, or its first after a long silence.</summary>
    public static WritePace Fresh => new() { _spacing = Settled };

    /// <summary>Whether the queue's last writes were, on average, at least <see cref="QuietSpacing"/> apart.</summary>
    public readonly bool IsQuiet => _spacing >= QuietSpacing;

    /// <summary>A write arrived <paramref name="sincePrevious"/> after the queue's previous one.</summary>
    public void Arrived(TimeSpan sincePrevious)
    {
        var gap = sincePrevious < Settled ? sincePrevious : Settled;
        _spacing += (gap - _spacing) / 4;
    }
}
