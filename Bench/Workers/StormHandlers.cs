using System.Collections.Concurrent;

namespace OrleansJobs.Bench.Workers;

/// <summary>A retry-storm job: when it was enqueued, in microseconds since the Unix epoch.</summary>
internal sealed record StormPayload(long EnqueuedMicros);

/// <summary>Calls the simulated downstream once per attempt: the job type the storm hits.</summary>
internal sealed class DownstreamCallHandler(SimulatedDownstream downstream) : IJobHandler<StormPayload>
{
    public Task HandleAsync(StormPayload payload, JobContext context) => downstream.CallAsync(context.CancellationToken);
}

/// <summary>Another tenant's job that never touches the downstream: it records how long it waited to start and does 5 ms of work.</summary>
internal sealed class HealthyJobHandler(HealthyStarts starts) : IJobHandler<StormPayload>
{
    public Task HandleAsync(StormPayload payload, JobContext context)
    {
        starts.Record(BenchPayload.UnixMicros(), payload.EnqueuedMicros);
        return Task.Delay(5, context.CancellationToken);
    }
}

/// <summary>The healthy tenant's handler starts: when each started and how long after its enqueue.</summary>
internal sealed class HealthyStarts
{
    private readonly ConcurrentQueue<(long StartedMicros, double WaitedMs)> _starts = new();

    public void Record(long startedMicros, long enqueuedMicros) => _starts.Enqueue((startedMicros, (startedMicros - enqueuedMicros) / 1000.0));

    /// <summary>The waits of jobs that started in [from, to).</summary>
    public double[] Between(long fromMicros, long toMicros) => [.. _starts.Where(s => s.StartedMicros >= fromMicros && s.StartedMicros < toMicros).Select(s => s.WaitedMs)];
}
