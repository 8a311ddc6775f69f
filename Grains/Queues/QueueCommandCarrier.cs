using OrleansJobs.Execution;
using OrleansJobs.Grains;
using OrleansJobs.Queues.Core;
using OrleansJobs.Storage;

namespace OrleansJobs.Queues;

/// <summary>
/// Carries out a queue core's commands (page reads, group-commit writes, attempts, worker room,
/// tenant permits, timers) and hands each answer or failure back to the core as its next event.
/// One per queue activation, running on the grain's turns, so the core still sees one event at a time.
/// </summary>
internal sealed class QueueCommandCarrier(
    IGrainBase grain,
    QueueCore core,
    QueueKey queue,
    QueueSiloServices silo,
    QueueRoom room,
    QueueAttempts attempts,
    OutcomeWriter outcomes,
    ITenantGrain tenant,
    QueueLog log,
    Action becameBusy)
{
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _running;
    private bool _hadWork;
    private IGrainTimer? _dueTimer;
    private IGrainTimer? _pumpTimer;
    private DateTimeOffset? _pumpAt;

    /// <summary>Completes when the deactivating core has let go of every attempt.</summary>
    public Task DrainComplete => _drained.Task;

    private DateTimeOffset Now => silo.Time.GetUtcNow();

    /// <summary>Carries out what the core decided, one command at a time; commands decided meanwhile join the loop rather than recurse.</summary>
    public void Run()
    {
        if (_running)
        {
            return;
        }

        _running = true;
        try
        {
            for (var commands = core.TakeCommands(); commands.Length > 0; commands = core.TakeCommands())
            {
                foreach (var command in commands)
                {
                    Carry(command);
                }
            }
        }
        finally
        {
            _running = false;
        }

        // Work that appears between the calls that keep the reminder (a retry, a requeue) needs it at
        // once; going idle waits for the next housekeeping tick, as a reminder's removal can.
        var hasWork = core.HasWork;
        if (hasWork && !_hadWork)
        {
            becameBusy();
        }

        _hadWork = hasWork;
    }

    private void Carry(QueueCommand command)
    {
        switch (command)
        {
            case ReadPage read:
                _ = AnswerAsync(
                    () => read.Limit > 0 ? silo.Reads.ReadReadyAsync(queue, read.After, read.Limit, CancellationToken.None) : Task.FromResult<IReadOnlyList<ReadyJob>>([]),
                    page => core.PageRead(Now, read, page),
                    ex => Failed(ex, "read ready page", core.PageReadFailed));
                break;
            case ReadPartitionHeads heads:
                _ = AnswerAsync(
                    () => silo.Reads.ReadPartitionHeadsAsync(new PartitionHeadsRequest(queue, heads.AfterKey, heads.Skip, heads.Keys, heads.PerKey), CancellationToken.None),
                    found => core.PartitionHeadsRead(Now, heads, found),
                    ex => Failed(ex, "read partition heads", core.PartitionHeadsReadFailed));
                break;
            case LeaseJobs lease:
                _ = AnswerAsync(
                    () => silo.Writes.LeaseAsync(queue, lease.Requests),
                    leased => core.LeasesCommitted(Now, lease.Requests, leased),
                    ex => Failed(ex, "lease", now => core.LeasesFailed(now, lease.Requests)));
                break;
            case WaitForRoom wait:
                _ = AnswerAsync(() => room.WaitAsync(wait.Wanted), units => core.RoomGranted(Now, units), static _ => { });
                break;
            case RunAttempt run:
                _ = AnswerAsync(
                    () => attempts.RunAsync(run.Job),
                    result => core.AttemptEnded(Now, run.Job, result),
                    ex => core.AttemptEnded(Now, run.Job, new JobRunResult(ex, TimeSpan.Zero)));
                break;
            case WriteOutcome write:
                _ = AnswerAsync(() => outcomes.WriteAsync(write.Job, write.Outcome), stored => Stored(write, stored), _ => core.OutcomeAbandoned(Now, write.Job));
                break;
            case PromoteDue promote:
                _ = AnswerAsync(
                    () => silo.Writes.PromoteDueAsync(new DuePromotionRequest(queue, promote.Now, promote.Limit)),
                    promotion => core.DuePromoted(Now, promotion),
                    ex => Failed(ex, "promote due jobs", core.PromotionFailed));
                break;
            case AgeWaiting age:
                _ = AnswerAsync(
                    () => silo.Writes.AgeAsync(new AgingRequest(queue, age.WaitedSince, age.Limit)),
                    aged => core.JobsAged(Now, aged),
                    ex => Failed(ex, "age waiting jobs", core.AgingFailed));
                break;
            case ArmDueTimer arm:
                ArmTimer(ref _dueTimer, arm.At is { } at ? Max(at - Now, TimeSpan.Zero) : Timeout.InfiniteTimeSpan, core.DueTimerFired);
                break;
            case ArmPumpTimer arm:
                ArmPumpTimer(arm.Delay);
                break;
            case SyncPermits sync:
                _ = AnswerAsync(
                    () => tenant.SyncPermitsAsync(queue.JobType, sync.Held, sync.Wanted),
                    grant => core.PermitsGranted(Now, grant),
                    ex =>
                    {
                        log.PermitSyncFailed(ex);
                        core.PermitSyncFailed(Now);
                    });
                break;
            case RequeueStale requeue:
                _ = AnswerAsync(
                    () => silo.Writes.RequeueAsync(new RequeueExpired(queue, requeue.Before, requeue.Except)),
                    requeued =>
                    {
                        if (requeued > 0)
                        {
                            log.LeasesExpired(requeued);
                        }

                        core.StaleRequeued(Now, requeued);
                    },
                    ex => log.StoreError(ex, "requeue expired leases"));
                break;
            case ReportBreaker report:
                log.BreakerMoved(report.Change);
                silo.Metrics.BreakerMoved(queue, report.Change.State, report.Change.Key is not null);
                break;
            case StopAttempt stop:
                attempts.Stop(stop.Id);
                break;
            case Drained:
                _drained.TrySetResult();
                break;
        }
    }

    /// <summary>Makes a call the core asked for and hands it the answer, or the failure, as its next event.</summary>
    private async Task AnswerAsync<T>(Func<Task<T>> call, Action<T> answered, Action<Exception> failed)
    {
        T result;
        try
        {
            result = await call();
        }
        catch (Exception ex)
        {
            failed(ex);
            Run();
            return;
        }

        answered(result);
        Run();
    }

    /// <summary>Not stored in time (null): the lease expires and the job runs again.</summary>
    private void Stored(WriteOutcome write, bool? stored)
    {
        if (stored is { } written)
        {
            core.OutcomeStored(Now, write.Job, write.Outcome, written);
        }
        else
        {
            core.OutcomeAbandoned(Now, write.Job);
        }
    }

    private void Failed(Exception error, string operation, Action<DateTimeOffset> tellCore)
    {
        log.StoreError(error, operation);
        tellCore(Now);
    }

    /// <summary>The pump timer fires at the soonest time asked for since it last fired: an early pump costs nothing, a late one stalls the queue.</summary>
    private void ArmPumpTimer(TimeSpan delay)
    {
        var at = Now + Max(delay, TimeSpan.Zero);
        if (_pumpAt <= at)
        {
            return;
        }

        _pumpAt = at;
        ArmTimer(ref _pumpTimer, at - Now, now =>
        {
            _pumpAt = null;
            core.PumpTimerFired(now);
        });
    }

    /// <summary>One timer per purpose, re-armed as needed; it hands the core its event when it fires.</summary>
    private void ArmTimer(ref IGrainTimer? timer, TimeSpan delay, Action<DateTimeOffset> fired)
    {
        if (timer is not null)
        {
            timer.Change(delay, Timeout.InfiniteTimeSpan);
            return;
        }

        timer = grain.RegisterGrainTimer(static (state, _) =>
        {
            var (carrier, fired) = state;
            fired(carrier.Now);
            carrier.Run();
            return Task.CompletedTask;
        }, (this, fired), new GrainTimerCreationOptions(delay, Timeout.InfiniteTimeSpan) { Interleave = true, KeepAlive = true });
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
