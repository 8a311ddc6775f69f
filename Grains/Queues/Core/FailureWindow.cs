namespace OrleansJobs.Queues.Core;

/// <summary>
/// Attempts and failures over a sliding window, in ten buckets of a tenth of it each: constant memory
/// and constant work per attempt, whatever the queue's pace. The window's oldest tenth drops out whole.
/// </summary>
internal sealed class FailureWindow(TimeSpan window)
{
    private const int Buckets = 10;
    private readonly long _bucketTicks = Math.Max(1, window.Ticks / Buckets);
    private readonly long[] _epochs = new long[Buckets];
    private readonly int[] _attempts = new int[Buckets];
    private readonly int[] _failures = new int[Buckets];

    public void Add(DateTimeOffset now, bool failed)
    {
        var epoch = now.UtcTicks / _bucketTicks;
        var i = (int)(epoch % Buckets);
        if (_epochs[i] != epoch)
        {
            _epochs[i] = epoch;
            _attempts[i] = 0;
            _failures[i] = 0;
        }

        _attempts[i]++;
        _failures[i] += failed ? 1 : 0;
    }

    /// <summary>Attempts and failures in the window that ends at <paramref name="now"/>.</summary>
    public (int Attempts, int Failures) Count(DateTimeOffset now)
    {
        var current = now.UtcTicks / _bucketTicks;
        int attempts = 0, failures = 0;
        for (var i = 0; i < Buckets; i++)
        {
            if (_epochs[i] > current - Buckets && _epochs[i] <= current)
            {
                attempts += _attempts[i];
                failures += _failures[i];
            }
        }

        return (attempts, failures);
    }

    public void Clear() => Array.Clear(_epochs);
}
