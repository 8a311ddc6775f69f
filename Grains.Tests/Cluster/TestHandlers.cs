namespace OrleansJobs.Tests.Cluster;

public sealed record ProbePayload(int DelayMs = 0, bool Fail = false, bool NonRetryable = false, string? Gate = null);

/// <summary>Records its run in the probe; optionally waits (a time, or until its gate opens), and fails until healed.</summary>
public sealed class ProbeHandler(JobProbe probe, TimeProvider time) : IJobHandler<ProbePayload>
{
    public async Task HandleAsync(ProbePayload payload, JobContext context)
    {
        probe.Started(context, time.GetUtcNow());
        var ok = false;
        try
        {
            if (payload.DelayMs > 0)
            {
                await Task.Delay(payload.DelayMs, context.CancellationToken);
            }

            if (payload.Gate is { } gate)
            {
                await probe.GateAsync(gate, context.CancellationToken);
            }

            if (payload.Fail && !probe.IsHealed(context.JobId))
            {
                throw payload.NonRetryable
                    ? new NonRetryableJobException($"refused on attempt {context.Attempt}")
                    : new InvalidOperationException($"failed on attempt {context.Attempt}");
            }

            ok = true;
        }
        finally
        {
            probe.Finished(context, ok);
        }
    }
}

/// <summary>Ignores its cancellation token: the executor must abandon it.</summary>
public sealed class StubbornHandler(JobProbe probe, TimeProvider time) : IJobHandler<ProbePayload>
{
    public async Task HandleAsync(ProbePayload payload, JobContext context)
    {
        probe.Started(context, time.GetUtcNow());
        await Task.Delay(payload.DelayMs);
        probe.Finished(context, true);
    }
}
