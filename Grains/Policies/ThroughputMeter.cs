namespace OrleansJobs.Policies;

/// <summary>Events per second over the last <c>window</c> seconds, in one-second buckets; memory is O(window).</summary>
internal sealed class ThroughputMeter
{
    private readonly TimeProvider _time;
    private readonly long[] _counts;
    private readonly long[] _seconds;

    public ThroughputMeter(TimeProvider time, int windowSeconds = 10)
    {
        _time = time;
        _counts = new long[windowSeconds];
        _seconds = Enumerable.Repeat(long.MinValue, windowSeconds).ToArray();
    }

    /// <summary>When an event was last recorded; null before the first.</summary>
    public DateTimeOffset? LastAt { get; private set; }

    public void Record(int count = 1)
    {
        var now = _time.GetUtcNow();
        LastAt = now;
        var second = now.ToUnixTimeSeconds();
        var slot = (int)(second % _counts.Length);
        if (_seconds[slot] != second)
        {
            _seconds[slot] = second;
            _counts[slot] = 0;
        }

        _counts[slot] += count;
    }

    /// <summary>The mean rate over the window, counting the current partial second as a whole one.</summary>
    public double PerSecond()
    {
        var now = _time.GetUtcNow().ToUnixTimeSeconds();
        long total = 0;
        for (var i = 0; i < _counts.Length; i++)
        {
            if (_seconds[i] > now - _counts.Length)
            {
                total += _counts[i];
            }
        }

        return (double)total / _counts.Length;
    }
}
