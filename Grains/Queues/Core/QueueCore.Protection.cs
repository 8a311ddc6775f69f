using OrleansJobs.Execution;
using OrleansJobs.Policies;
using OrleansJobs.Storage;

namespace OrleansJobs.Queues.Core;

/// <summary>
/// What keeps a queue from feeding a retry storm: its adaptive in-flight limit and its circuit breaker,
/// both fed by every ended attempt.
/// </summary>
internal sealed partial class QueueCore
{
    /// <summary>The adaptive in-flight limit; null when the queue's policy does not adapt.</summary>
    public ConcurrencyLimiter? Limiter { get; private set; }

    /// <summary>The circuit breaker; null when the queue's policy has none.</summary>
    public CircuitBreaker? Breaker { get; private set; }

    /// <summary>Most attempts in flight now: the adaptive limit, or the policy's max concurrency.</summary>
    public int ConcurrencyLimit => Limiter?.Limit ?? Policy.MaxConcurrency;

    /// <summary>Whether the breaker lets attempts start as the limits allow.</summary>
    private bool BreakerClosed => Breaker is null or { State: BreakerState.Closed };

    /// <summary>Builds, keeps or drops the limiter and breaker for the policy. A new breaker starts closed.</summary>
    private void ProtectWith(EffectiveQueuePolicy policy)
    {
        Limiter = policy.Adaptive is not { } adaptive ? null
            : Limiter is { } limiter && limiter.Uses(adaptive) ? limiter
            : new ConcurrencyLimiter(adaptive, policy.MaxConcurrency);
        Limiter?.Resize(policy.MaxConcurrency);
        // With a breaker per partition key, each key's breaker stands in for the queue's.
        var queueBreaker = policy.Partitions is { BreakerPerKey: true } ? null : policy.Breaker;
        if (Breaker?.Policy == queueBreaker)
        {
            return;
        }

        if (Breaker is { State: not BreakerState.Closed })
        {
            Emit(new ReportBreaker(new BreakerChange(BreakerState.Closed, null, 0, 0)));
        }

        Breaker = queueBreaker is { } breaker ? new CircuitBreaker(breaker) : null;
    }

    /// <summary>How many of <paramref name="wanted"/> starts the breaker lets through; an open one re-pumps when its break ends.</summary>
    private int AdmitPastBreaker(int wanted)
    {
        if (Breaker is not { } breaker)
        {
            return wanted;
        }

        var admitted = breaker.Admit(_clock.Now, wanted, out var change);
        Report(change);
        if (breaker.OpenUntil is { } until)
        {
            Emit(new ArmPumpTimer(until - _clock.Now));
        }

        return admitted;
    }

    /// <summary>
    /// Feeds an ended attempt to the limiter and the breaker. A failure that ends while the breaker is
    /// open (and is not one of its probes) is put back without spending the attempt: the outage is not the job's.
    /// </summary>
    private AttemptOutcome Protect(LeasedJob job, JobRunResult result, AttemptOutcome outcome)
    {
        // The key's slot is free once its handler ended; a key with a breaker of its own is judged by it.
        var key = Gate?.KeyOf(job.Id);
        var breakerOfKey = Gate?.HandlerEnded(job.Id);
        var verdict = result.Error is JobAttemptsLostException ? BreakerVerdict.Ignored : outcome switch
        {
            Succeeded => BreakerVerdict.Succeeded,
            Retrying => BreakerVerdict.Failed,
            DeadLettered { Retryable: true } => BreakerVerdict.Failed,
            _ => BreakerVerdict.Ignored,
        };
        if (verdict != BreakerVerdict.Ignored)
        {
            Limiter?.Ended(result.Duration, verdict == BreakerVerdict.Failed, Attempts.InBudget);
        }

        if ((breakerOfKey ?? Breaker) is not { } breaker)
        {
            return outcome;
        }

        var change = breaker.Ended(_clock.Now, job.Id, verdict, out var wasProbe);
        Report(breakerOfKey is null ? change : change is null ? null : change with { Key = key });
        if (verdict != BreakerVerdict.Failed || wasProbe || breaker.OpenUntil is not { } until)
        {
            return outcome;
        }

        var (error, ran) = outcome switch
        {
            Retrying retry => (retry.Error, retry.Write.Ran),
            DeadLettered dead => (dead.Error, dead.Write.Ran),
            _ => throw new InvalidOperationException($"A failure's outcome was {outcome.GetType().Name}."),
        };
        return new HeldByBreaker(new Snooze(job.Id, job.Lease, StoreTime.Ceiling(until), ran), error, outcome.Duration);
    }

    private void Report(BreakerChange? change) => Emit(change is null ? null : new ReportBreaker(change));
}
