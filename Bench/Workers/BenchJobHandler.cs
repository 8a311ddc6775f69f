using OrleansJobs.Handlers;

namespace OrleansJobs.Bench.Workers;

/// <summary>OrleansJobs' handler for <see cref="BenchPayload"/> jobs.</summary>
internal sealed class BenchJobHandler : IJobHandler<BenchPayload>
{
    public Task HandleAsync(BenchPayload payload, JobContext context)
    {
        StartRecorder.Record(payload);
        BenchPayload.Spin(payload.C);
        if (payload.P == 1 || (payload.F == 1 && context.Attempt == 1))
        {
            throw new InvalidOperationException("bench failure");
        }

        return Task.CompletedTask;
    }
}
