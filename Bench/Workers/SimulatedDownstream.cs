namespace OrleansJobs.Bench.Workers;

/// <summary>
/// A downstream service as the retry-storm scenario models it: a fixed number of calls served at
/// once, each taking the service time; calls beyond that wait in its queue, and a caller gives up
/// after its timeout. Degraded, it serves ten times slower and fails half its calls, so load it
/// cannot serve turns into waits, timeouts and failures, as a struggling API does.
/// </summary>
internal sealed class SimulatedDownstream(int capacity, TimeSpan serviceTime, TimeSpan callTimeout)
{
    private readonly SemaphoreSlim _serving = new(capacity, capacity);
    private long _calls;
    private long _degradedCalls;
    private long _degradedFailures;
    private volatile bool _degraded;

    /// <summary>Calls served per second when healthy.</summary>
    public double HealthyRate => capacity / serviceTime.TotalSeconds;

    public long Calls => Interlocked.Read(ref _calls);

    /// <summary>Calls made while degraded.</summary>
    public long DegradedCalls => Interlocked.Read(ref _degradedCalls);

    /// <summary>Calls made while degraded that failed (refused, or timed out waiting).</summary>
    public long DegradedFailures => Interlocked.Read(ref _degradedFailures);

    public bool Degraded
    {
        get => _degraded;
        set => _degraded = value;
    }

    public async Task CallAsync(CancellationToken cancellationToken)
    {
        var degraded = _degraded;
        Interlocked.Increment(ref _calls);
        if (degraded)
        {
            Interlocked.Increment(ref _degradedCalls);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(callTimeout);
        try
        {
            await _serving.WaitAsync(timeout.Token);
            try
            {
                await Task.Delay(degraded ? serviceTime * 10 : serviceTime, timeout.Token);
                if (degraded && Random.Shared.Next(2) == 0)
                {
                    throw new HttpRequestException("503 Service Unavailable from the simulated downstream");
                }
            }
            finally
            {
                _serving.Release();
            }
        }
        catch (Exception ex) when (degraded && ex is HttpRequestException or OperationCanceledException)
        {
            Interlocked.Increment(ref _degradedFailures);
            throw ex is OperationCanceledException && !cancellationToken.IsCancellationRequested ? new TimeoutException("The simulated downstream did not answer in time.", ex) : ex;
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException("The simulated downstream did not answer in time.", ex);
        }
    }
}
