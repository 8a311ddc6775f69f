using OrleansJobs.Execution;
using OrleansJobs.Queues.Core;
using OrleansJobs.Storage;
using OrleansJobs.Grains;

namespace OrleansJobs.Queues;

/// <summary>How the shell carries out each of the core's commands and reports back the matching event.</summary>
internal sealed partial class QueueGrain
{
    private Action<Exception>? _outcomeWriteFailed;

    private void Carry(QueueCommand command)
    {
        switch (command)
        {
            case ReadPage read:
                _ = ReadPageAsync(read);
                break;
            case LeaseJobs lease:
                _ = LeaseAsync(lease);
                break;
            case RunAttempt run:
                _ = RunAttemptAsync(run.Job);
                break;
            case WriteOutcome write:
                _ = WriteOutcomeAsync(write);
                break;
            case PromoteDue promote:
                _ = PromoteDueAsync(promote);
                break;
            case ArmDueTimer arm:
                ArmTimer(ref _dueTimer, arm.At is { } at ? Max(at - Now, TimeSpan.Zero) : Timeout.InfiniteTimeSpan, static core => core.DueTimerFired);
                break;
            case ArmPumpTimer arm:
                ArmTimer(ref _pumpTimer, arm.Delay, static core => core.PumpTimerFired);
                break;
            case SyncPermits sync:
                _ = SyncPermitsAsync(sync);
                break;
            case RequeueStale requeue:
                _ = RequeueStaleAsync(requeue);
                break;
            case StopAttempt stop when _cancellers.TryGetValue(stop.Id, out var canceller):
                _ = canceller.CancelAsync();
                break;
            case Drained:
                _drained?.TrySetResult();
                break;
        }
    }

    private async Task ReadPageAsync(ReadPage read)
    {
        IReadOnlyList<ReadyJob> page;
        try
        {
            page = read.Limit > 0 ? await _store.ReadReadyAsync(_queue, read.After, read.Limit, CancellationToken.None) : [];
        }
        catch (Exception ex)
        {
            LogStoreError(ex, _queue.Tenant, _queue.JobType, "read ready page");
            Core.PageReadFailed(Now);
            Execute();
            return;
        }

        Core.PageRead(Now, read, page);
        Execute();
    }

    private async Task LeaseAsync(LeaseJobs lease)
    {
        LeasedJob?[] leased;
        try
        {
            leased = await _writes.LeaseAsync(lease.Requests);
        }
        catch (Exception ex)
        {
            LogStoreError(ex, _queue.Tenant, _queue.JobType, "lease");
            Core.LeasesFailed(Now, lease.Requests);
            Execute();
            return;
        }

        Core.LeasesCommitted(Now, lease.Requests, leased);
        Execute();
    }

    private async Task RunAttemptAsync(LeasedJob job)
    {
        _metrics.Started(_queue, Now - job.CreatedAt);
        LogStarting(job.Id, _queue.Tenant, _queue.JobType, job.Attempt);
        using var canceller = new CancellationTokenSource();
        _cancellers[job.Id] = canceller;
        JobRunResult result;
        try
        {
            result = await _dispatcher.RunAsync(job, _type!, canceller.Token);
        }
        catch (Exception ex)
        {
            result = new JobRunResult(ex, TimeSpan.Zero);
        }
        finally
        {
            _cancellers.Remove(job.Id);
        }

        Core.AttemptEnded(Now, job, result);
        Execute();
    }

    private async Task WriteOutcomeAsync(WriteOutcome write)
    {
        var (job, outcome) = (write.Job, write.Outcome);
        if (outcome is Retrying or DeadLettered)
        {
            _metrics.Failed(_queue, outcome.Duration);
        }

        var stored = await OutcomeWriter.WriteAsync(_writes, outcome, _time, _outcomeWriteFailed ??= ex => LogStoreError(ex, _queue.Tenant, _queue.JobType, "record outcome"));
        if (stored is not { } written)
        {
            // Not stored: the lease expires and the job runs again.
            Core.OutcomeAbandoned(Now, job);
        }
        else
        {
            if (written)
            {
                NoteOutcome(job, outcome);
            }
            else
            {
                LogStaleLease(job.Id, _queue.Tenant, _queue.JobType, job.Attempt, job.Lease);
            }

            Core.OutcomeStored(Now, job, outcome, written);
        }

        Execute();
    }

    private void NoteOutcome(LeasedJob job, AttemptOutcome outcome)
    {
        switch (outcome)
        {
            case Succeeded:
                _finished.Record();
                _metrics.Succeeded(_queue, outcome.Duration);
                LogSucceeded(job.Id, _queue.Tenant, _queue.JobType, job.Attempt, outcome.Duration.TotalMilliseconds);
                break;
            case Retrying retry:
                _metrics.Retried(_queue);
                LogRetrying(job.Id, _queue.Tenant, _queue.JobType, job.Attempt, job.MaxAttempts, retry.Write.RunAt, JobErrors.ShortTypeName(retry.Error), retry.Error.Message);
                break;
            case DeadLettered dead:
                _finished.Record();
                _metrics.DeadLettered(_queue);
                LogDeadLettered(dead.Error, job.Id, _queue.Tenant, _queue.JobType, job.Attempt, job.MaxAttempts, dead.Retryable);
                break;
            case CancelledWhileRunning:
                _finished.Record();
                LogCancelled(job.Id, _queue.Tenant, _queue.JobType);
                break;
        }
    }

    private async Task PromoteDueAsync(PromoteDue promote)
    {
        DuePromotion promotion;
        try
        {
            promotion = await _store.PromoteDueAsync(_queue, promote.Now, promote.Limit, CancellationToken.None);
        }
        catch (Exception ex)
        {
            LogStoreError(ex, _queue.Tenant, _queue.JobType, "promote due jobs");
            Core.PromotionFailed(Now);
            Execute();
            return;
        }

        Core.DuePromoted(Now, promotion);
        Execute();
    }

    private async Task SyncPermitsAsync(SyncPermits sync)
    {
        PermitGrant grant;
        try
        {
            grant = await _tenant.SyncPermitsAsync(_queue.JobType, sync.Held, sync.Wanted);
        }
        catch (Exception ex)
        {
            LogPermitSyncFailed(ex, _queue.Tenant, _queue.JobType);
            Core.PermitSyncFailed(Now);
            Execute();
            return;
        }

        Core.PermitsGranted(Now, grant);
        Execute();
    }

    private async Task RequeueStaleAsync(RequeueStale requeue)
    {
        int requeued;
        try
        {
            requeued = await _store.RequeueActiveAsync(_queue, requeue.Before, requeue.Except, CancellationToken.None);
        }
        catch (Exception ex)
        {
            LogStoreError(ex, _queue.Tenant, _queue.JobType, "requeue expired leases");
            return;
        }

        if (requeued > 0)
        {
            LogLeasesExpired(_queue.Tenant, _queue.JobType, requeued);
        }

        Core.StaleRequeued(Now, requeued);
        Execute();
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
