namespace OrleansJobs.Tests.Cluster;

/// <param name="SnoozeFirstMs">On its first run, the handler snoozes the job for this long.</param>
/// <param name="ThrottleFirstMs">On its first run, the handler reports its downstream throttled it for this long.</param>
public sealed record ProbePayload(int DelayMs = 0, bool Fail = false, bool NonRetryable = false, string? Gate = null, int SnoozeFirstMs = 0, int ThrottleFirstMs = 0);

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

            var firstRun = probe.Starts(context.JobId).Count == 1;
            if (payload.SnoozeFirstMs > 0 && firstRun)
            {
                throw new SnoozeJobException(TimeSpan.FromMilliseconds(payload.SnoozeFirstMs));
            }

            if (payload.ThrottleFirstMs > 0 && firstRun)
            {
                throw new DownstreamThrottledException(TimeSpan.FromMilliseconds(payload.ThrottleFirstMs), "429 Too Many Requests from the test downstream");
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
