using Hangfire.Server;

namespace OrleansJobs.Bench.Workers;

/// <summary>
/// Hangfire's side of <see cref="BenchPayload"/> jobs. Public because Hangfire invokes only public
/// methods of public types.
/// </summary>
public sealed class HangfireJobs
{
    public void Run(BenchPayload job, PerformContext? context)
    {
        StartRecorder.Record(job);
        BenchPayload.Spin(job.C);
        var retry = context?.GetJobParameter<int>("RetryCount") ?? 0;
        if (job.P == 1 || (job.F == 1 && retry == 0))
        {
            throw new InvalidOperationException("bench failure");
        }
    }
}
