using OrleansJobs.Execution;
using OrleansJobs.Handlers;
using OrleansJobs.Storage;

namespace OrleansJobs.Queues;

/// <summary>
/// The attempts a queue's activation runs, handed to the silo's dispatcher (here or on a silo with
/// free slots), each with a token a person's cancel fires. Used from the grain's turns only.
/// </summary>
internal sealed class QueueAttempts(JobDispatcher dispatcher, JobTypeRegistration type, AttemptReport report, TimeProvider time)
{
    private readonly Dictionary<JobId, CancellationTokenSource> _cancellers = [];

    /// <summary>Runs the attempt to its end; a handler's failure is in the result, a dispatch failure is thrown.</summary>
    public async Task<JobRunResult> RunAsync(LeasedJob job)
    {
        report.Starting(job, time.GetUtcNow());
        using var canceller = new CancellationTokenSource();
        _cancellers[job.Id] = canceller;
        try
        {
            return await dispatcher.RunAsync(job, type, canceller.Token);
        }
        finally
        {
            _cancellers.Remove(job.Id);
        }
    }

    /// <summary>Fires the running attempt's token; the job ends cancelled once its handler stops or is abandoned.</summary>
    public void Stop(JobId id)
    {
        if (_cancellers.TryGetValue(id, out var canceller))
        {
            _ = canceller.CancelAsync();
        }
    }
}
