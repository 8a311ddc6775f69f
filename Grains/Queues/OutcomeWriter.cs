using OrleansJobs.Queues.Core;
using OrleansJobs.Storage;

namespace OrleansJobs.Queues;

/// <summary>
/// Writes a queue's attempt outcomes through the silo's group commit and owns retrying them. The
/// write is guarded by the attempt's lease, so retrying is safe; while the store is down it is
/// retried with backoff for up to <see cref="RetryFor"/> rather than left for the lease to expire.
/// </summary>
internal sealed class OutcomeWriter(JobWriteBatcher writes, QueueKey queue, AttemptReport report, TimeProvider time, Action<Exception> onError)
{
    private static readonly TimeSpan RetryFor = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(5);

    /// <summary>Whether the store took the outcome (false: the lease was stale); null when it could not be written in time.</summary>
    public async Task<bool?> WriteAsync(LeasedJob job, AttemptOutcome outcome)
    {
        report.Ended(outcome);
        var written = await WriteWithRetriesAsync(outcome);
        if (written is true)
        {
            report.Recorded(job, outcome);
        }
        else if (written is false)
        {
            report.Refused(job);
        }

        return written;
    }

    private async Task<bool?> WriteWithRetriesAsync(AttemptOutcome outcome)
    {
        var delay = FirstDelay;
        var deadline = time.GetUtcNow() + RetryFor;
        while (true)
        {
            try
            {
                return await (outcome switch
                {
                    Succeeded s => writes.CompleteAsync(queue, s.Write),
                    Retrying r => writes.RetryAsync(queue, r.Write),
                    Rescheduled z => writes.SnoozeAsync(queue, z.Write),
                    HeldByBreaker h => writes.SnoozeAsync(queue, h.Write),
                    DeadLettered d => writes.DeadLetterAsync(queue, d.Write),
                    CancelledWhileRunning c => writes.CancelRunningAsync(queue, c.Write),
                    _ => throw new ArgumentOutOfRangeException(nameof(outcome), outcome, "Unknown outcome."),
                });
            }
            catch (Exception ex)
            {
                onError(ex);
                if (time.GetUtcNow() >= deadline)
                {
                    return null;
                }

                await Task.Delay(delay, time);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxDelay.Ticks));
            }
        }
    }
}
