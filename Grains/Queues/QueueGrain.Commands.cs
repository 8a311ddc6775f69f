using OrleansJobs.Execution;
using OrleansJobs.Grains;
using OrleansJobs.Queues.Core;
using OrleansJobs.Storage;

namespace OrleansJobs.Queues;

/// <summary>How the shell carries out each of the core's commands and reports back the matching event.</summary>
internal sealed partial class QueueGrain
{
    private void Carry(QueueCommand command)
    {
        switch (command)
        {
            case ReadPage read:
                _ = AnswerAsync(
                    () => read.Limit > 0 ? _silo.Reads.ReadReadyAsync(_queue, read.After, read.Limit, CancellationToken.None) : Task.FromResult<IReadOnlyList<ReadyJob>>([]),
                    (core, page) => core.PageRead(Now, read, page),
                    (core, ex) => Failed(ex, "read ready page", core.PageReadFailed));
                break;
            case LeaseJobs lease:
                _ = AnswerAsync(
                    () => _silo.Writes.LeaseAsync(_queue, lease.Requests),
                    (core, leased) => core.LeasesCommitted(Now, lease.Requests, leased),
                    (core, ex) => Failed(ex, "lease", now => core.LeasesFailed(now, lease.Requests)));
                break;
            case WaitForRoom wait:
                _ = AnswerAsync(() => _room.WaitAsync(wait.Wanted), (core, units) => core.RoomGranted(Now, units), static (_, _) => { });
                break;
            case RunAttempt run:
                _ = AnswerAsync(
                    () => _attempts.RunAsync(run.Job),
                    (core, result) => core.AttemptEnded(Now, run.Job, result),
                    (core, ex) => core.AttemptEnded(Now, run.Job, new JobRunResult(ex, TimeSpan.Zero)));
                break;
            case WriteOutcome write:
                _ = AnswerAsync(
                    () => _outcomes.WriteAsync(write.Job, write.Outcome),
                    (core, stored) => Stored(core, write, stored),
                    (core, _) => core.OutcomeAbandoned(Now, write.Job));
                break;
            case PromoteDue promote:
                _ = AnswerAsync(
                    () => _silo.Writes.PromoteDueAsync(new DuePromotionRequest(_queue, promote.Now, promote.Limit)),
                    (core, promotion) => core.DuePromoted(Now, promotion),
                    (core, ex) => Failed(ex, "promote due jobs", core.PromotionFailed));
                break;
            case ArmDueTimer arm:
                ArmTimer(ref _dueTimer, arm.At is { } at ? Max(at - Now, TimeSpan.Zero) : Timeout.InfiniteTimeSpan, static core => core.DueTimerFired);
                break;
            case ArmPumpTimer arm:
                ArmTimer(ref _pumpTimer, arm.Delay, static core => core.PumpTimerFired);
                break;
            case SyncPermits sync:
                _ = AnswerAsync(
                    () => _tenant.SyncPermitsAsync(_queue.JobType, sync.Held, sync.Wanted),
                    (core, grant) => core.PermitsGranted(Now, grant),
                    (core, ex) =>
                    {
                        LogPermitSyncFailed(ex, _queue.Tenant, _queue.JobType);
                        core.PermitSyncFailed(Now);
                    });
                break;
            case RequeueStale requeue:
                _ = AnswerAsync(
                    () => _silo.Writes.RequeueAsync(new RequeueExpired(_queue, requeue.Before, requeue.Except)),
                    (core, requeued) =>
                    {
                        if (requeued > 0)
                        {
                            LogLeasesExpired(_queue.Tenant, _queue.JobType, requeued);
                        }

                        core.StaleRequeued(Now, requeued);
                    },
                    (_, ex) => LogStoreError(ex, "requeue expired leases"));
                break;
            case StopAttempt stop:
                _attempts.Stop(stop.Id);
                break;
            case Drained:
                _drained?.TrySetResult();
                break;
        }
    }

    /// <summary>Makes a call the core asked for and hands it the answer, or the failure, as its next event.</summary>
    private async Task AnswerAsync<T>(Func<Task<T>> call, Action<QueueCore, T> answered, Action<QueueCore, Exception> failed)
    {
        T result;
        try
        {
            result = await call();
        }
        catch (Exception ex)
        {
            failed(Core, ex);
            Execute();
            return;
        }

        answered(Core, result);
        Execute();
    }

    private void Failed(Exception error, string operation, Action<DateTimeOffset> tellCore)
    {
        LogStoreError(error, operation);
        tellCore(Now);
    }

    /// <summary>Not stored in time: the lease expires and the job runs again.</summary>
    private void Stored(QueueCore core, WriteOutcome write, bool? stored)
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

    private async Task CallTenantAsync(Func<ITenantGrain, Task> call)
    {
        try
        {
            await call(_tenant);
        }
        catch (Exception ex)
        {
            // The tenant frees the holding anyway once it goes unrefreshed.
            LogPermitSyncFailed(ex, _queue.Tenant, _queue.JobType);
        }
    }

    /// <summary>One timer per purpose, re-armed as needed; it hands the core its event when it fires.</summary>
    private void ArmTimer(ref IGrainTimer? timer, TimeSpan delay, Func<QueueCore, Action<DateTimeOffset>> fired)
    {
        if (timer is not null)
        {
            timer.Change(delay, Timeout.InfiniteTimeSpan);
            return;
        }

        timer = this.RegisterGrainTimer(static (state, _) =>
        {
            var (grain, fired) = state;
            if (grain._core is { } core)
            {
                fired(core)(grain.Now);
                grain.Execute();
            }

            return Task.CompletedTask;
        }, (this, fired), new GrainTimerCreationOptions(delay, Timeout.InfiniteTimeSpan) { Interleave = true, KeepAlive = true });
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
