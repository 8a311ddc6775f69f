using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using OrleansJobs.Diagnostics;
using OrleansJobs.Execution;
using OrleansJobs.Grains;
using OrleansJobs.Handlers;
using OrleansJobs.Maintenance;
using OrleansJobs.Policies;
using OrleansJobs.Queues.Core;
using OrleansJobs.Storage;

namespace OrleansJobs.Queues;

/// <summary>
/// Owns one queue: the thin shell around its <see cref="QueueCore"/>. It turns Orleans calls, timers,
/// the reminder and finished tasks into the core's events and carries out the commands the core
/// decides. The jobs live in the store; the core holds only a bounded window of due jobs, the
/// attempts it runs and the next due time. Reentrant, so that many enqueues and completions share
/// group commits; the core is still driven by one turn at a time.
/// </summary>
[Reentrant]
internal sealed class QueueGrain : Grain, IQueueGrain, IRemindable
{
    /// <summary>The DI key of the clock queues stamp leases and sweeps with; the silo's clock unless a test replaces it.</summary>
    public const string ClockKey = "OrleansJobs.Queues";

    private readonly QueueSiloServices _silo;
    private readonly ILogger<QueueGrain> _logger;
    private QueueKey _queue;
    private QueueLog _log = null!;

    // Set on activation when the job type has a handler here.
    private QueueCore? _core;
    private QueueCommandCarrier? _commands;
    private JobTypeRegistration _type = null!;
    private QueueRoom _room = null!;
    private QueueNumbers _numbers = null!;
    private AttemptReport _report = null!;
    private QueueKeepAlive _keepAlive = null!;
    private ITenantGrain _tenant = null!;

    public QueueGrain(QueueSiloServices silo, ILogger<QueueGrain> logger) => (_silo, _logger) = (silo, logger);

    /// <summary>The core; a queue whose job type has no handler here has none and refuses every call.</summary>
    private QueueCore Core => _core ?? throw new UnknownJobTypeException(_queue.JobType);

    private DateTimeOffset Now => _silo.Time.GetUtcNow();

    public override Task OnActivateAsync(CancellationToken cancellationToken) =>
        StoreErrorBoundary.ActivateAsync(() => ActivateAsync(cancellationToken), $"queue {this.GetPrimaryKeyString()}");

    private async Task ActivateAsync(CancellationToken cancellationToken)
    {
        _queue = QueueKey.Parse(this.GetPrimaryKeyString());
        _log = new QueueLog(_logger, _queue, _silo.StoreOutage);
        if (!_silo.Registry.TryGet(_queue.JobType, out var type))
        {
            // Nothing here can run its jobs, so touch nothing: an enqueue naming an unknown type
            // (refused with UnknownJobTypeException) must not cost the store queries or a reminder.
            _log.NoHandler();
            return;
        }

        _type = type;
        _numbers = new QueueNumbers(_queue, _silo.Reads, _silo.Time);
        _report = new AttemptReport(_queue, _silo.Metrics, _numbers, _logger);
        _keepAlive = new QueueKeepAlive(this, _queue, _silo.Options.HousekeepingInterval, HousekeepAsync, _log, _logger);
        _tenant = GrainFactory.GetGrain<ITenantGrain>(_queue.Tenant);
        var settings = await _silo.Reads.GetQueueSettingsAsync(_queue, cancellationToken);
        var policy = EffectiveQueuePolicy.Resolve(type, settings.Override);

        // This activation is the queue's only owner, so an attempt still marked active belongs to a
        // previous owner that is gone (crashed or shut down before it finished): run it again.
        var recovered = await _silo.Writes.RequeueAsync(new RequeueAllActive(_queue));
        if (recovered > 0)
        {
            _log.Recovered(recovered);
        }

        var counts = await _numbers.RefreshAsync();
        var nextDue = await _silo.Reads.GetNextDueAsync(_queue, cancellationToken);
        _room = _silo.WorkerRoom.Open(_queue);
        _core = new QueueCore(_silo.CoreSettings(type), policy, QueueNumbers.Backlog(policy, counts), new Random(), _room);
        var attempts = new QueueAttempts(_silo.Dispatcher, type, _report, _silo.Time);
        var outcomes = new OutcomeWriter(_silo.Writes, _queue, _report, _silo.Time, ex => _log.StoreError(ex, "record outcome"));
        _commands = new QueueCommandCarrier(this, _core, _queue, _silo, _room, attempts, outcomes, _tenant, _log, () => _ = UpdateBusyAsync());
        _core.Activate(Now, nextDue, paused: settings.PausedAt is not null);
        Execute();
        _silo.Gauges.Publish(_queue, () => _core is { } c ? _numbers.Levels(c.Attempts.InBudget, c.ConcurrencyLimit, c.Breaker?.State ?? BreakerState.Closed) : default);
        await UpdateBusyAsync();
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_core is not { } core || _commands is not { } commands)
        {
            return;
        }

        _silo.Gauges.Withdraw(_queue);
        core.Deactivate(Now);
        Execute();
        if (!commands.DrainComplete.IsCompleted)
        {
            _log.Draining(core.Attempts.Count);
            try
            {
                await commands.DrainComplete.WaitAsync(_silo.Options.ShutdownDrainTimeout, _silo.Time, cancellationToken);
            }
            catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
            {
                _log.DrainIncomplete(core.Attempts.Count);
            }
        }

        // Whatever the activation still holds goes back, even for handlers that outlived the drain.
        _room.Close();

        // A stopping silo takes the tenant grains down too; their successors rebuild the ledger.
        if (reason.ReasonCode != DeactivationReasonCode.ShuttingDown && core.Permits.HoldsGrant)
        {
            core.Permits.Release();
            try
            {
                await _tenant.ReleasePermitsAsync(_queue.JobType);
            }
            catch (Exception ex)
            {
                // The tenant frees the holding anyway once it goes unrefreshed.
                _log.PermitSyncFailed(ex);
            }
        }

        if (core.HasWork && SuccessorWake.IsNeeded(reason))
        {
            var self = GrainFactory.GetGrain<IQueueGrain>(this.GetPrimaryKeyString());
            SuccessorWake.Send(_logger, $"Queue {_queue}", reason, self.WakeAsync);
        }
    }

    public async Task<EnqueueReceipt[]> EnqueueAsync(JobSubmission[] jobs)
    {
        var core = Core;
        if (jobs.Length == 0)
        {
            return [];
        }

        var rows = NewJobRows.Build(_queue, jobs, core.Policy, _silo.Options, _silo.Ids, Now);
        await ReserveBacklogAsync(core, rows);
        rows = core.PlanStarts(Now, rows);
        InsertOutcome[] outcomes;
        try
        {
            outcomes = await _silo.Writes.InsertAsync(_queue, rows);
        }
        catch (Exception ex)
        {
            core.InsertFailed(Now, rows);
            Execute();

            // Not committed, so not acknowledged. The store's own exception type may not even
            // deserialize on the caller's side; say plainly what happened.
            _log.StoreError(ex, "insert jobs");
            throw new JobStoreUnavailableException($"The job store could not commit {rows.Length} job(s) for queue {_queue}: {ex.GetType().Name}: {ex.Message}. Nothing was stored; retry later.");
        }

        core.InsertCommitted(Now, rows, outcomes);
        Execute();
        var receipts = new EnqueueReceipt[outcomes.Length];
        var created = 0;
        for (var i = 0; i < outcomes.Length; i++)
        {
            receipts[i] = new EnqueueReceipt(outcomes[i].Id, outcomes[i].Created);
            created += outcomes[i].Created ? 1 : 0;
        }

        _silo.Metrics.Enqueued(_queue, created);
        await UpdateBusyAsync();
        return receipts;
    }

    public async Task<bool> CancelAsync(JobId id)
    {
        if (Core.CancelRequested(id))
        {
            // The handler's token fires; the job ends cancelled once it stops or is abandoned.
            _report.CancelRequested(id);
            Execute();
            return true;
        }

        var cancelled = await _silo.Writes.CancelAsync(_queue, new WaitingCancel(_queue.Tenant, id, Now));
        if (cancelled)
        {
            Core.CancelledInStore(id);
            _report.Cancelled(id);
            await RefreshCountsAsync();
        }

        return cancelled;
    }

    public async Task WakeAsync()
    {
        if (_core is not { } core)
        {
            return;
        }

        // A replay or a dead silo's hand-over may have changed the backlog behind our back.
        core.Wake(Now);
        Execute();
        await RefreshCountsAsync(resetBacklog: true);
        await UpdateBusyAsync();
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        // Activation already loaded everything; a tick on a live activation only nudges it.
        _core?.Nudge(Now);
        Execute();
        await UpdateBusyAsync();
    }

    public Task PermitsChangedAsync()
    {
        _core?.PermitsChanged(Now);
        Execute();
        return Task.CompletedTask;
    }

    public Task TenantPausedAsync()
    {
        _core?.TenantPaused(Now);
        Execute();
        return Task.CompletedTask;
    }

    public Task<QueueStats> GetStatsAsync() => _numbers.StatsAsync(Core);

    public async Task<QueueStats> SetPausedAsync(bool paused)
    {
        var core = Core;
        if (core.Paused != paused)
        {
            // Stored first: a pause must outlive this activation (a restart, the queue moving silos).
            await _silo.Store.SetQueuePausedAsync(_queue, paused ? Now : null, Now, CancellationToken.None);
            core.PauseChanged(Now, paused);
            _log.PauseChanged(paused);
            Execute();
        }

        return await GetStatsAsync();
    }

    public Task<QueuePolicy> GetPolicyAsync() => Task.FromResult(Core.Policy.ToQueuePolicy());

    public async Task<QueuePolicy> SetPolicyAsync(QueuePolicy policyOverride)
    {
        var core = Core;
        JobValidator.ValidatePolicy(policyOverride);
        await _silo.Store.SetQueuePolicyAsync(_queue, policyOverride, Now, CancellationToken.None);
        var policy = EffectiveQueuePolicy.Resolve(_type, policyOverride);
        var counts = await _numbers.RefreshAsync();
        core.PolicyChanged(Now, policy, counts.Scheduled + counts.Enqueued);
        _log.PolicyChanged(StoredJson.Write(policy.ToQueuePolicy()));
        Execute();
        return policy.ToQueuePolicy();
    }

    /// <summary>
    /// Holds room in the backlog for the new jobs. A full queue refuses them, or, when its overflow
    /// policy sheds, first cancels as many lower-priority due jobs as it takes to fit them.
    /// </summary>
    private async Task ReserveBacklogAsync(QueueCore core, NewJob[] rows)
    {
        var decision = core.ReserveBacklog(rows, shedDone: false);
        if (decision is ShedFirst shed)
        {
            var max = core.Policy.MaxBacklog;
            var ids = await _silo.Writes.ShedAsync(new ShedRequest(_queue, shed.Above, shed.Count, $"Shed: queue full (max backlog {max}) when higher-priority work arrived.", Now));
            foreach (var id in ids)
            {
                _report.Shed(id);
            }

            core.Shed(ids);
            decision = core.ReserveBacklog(rows, shedDone: true);
        }

        if (decision is BacklogFull full)
        {
            throw new QueueFullException(_queue.ToString(), core.Policy.MaxBacklog!.Value, _numbers.RetryAfter(full.Excess));
        }
    }

    /// <summary>Carries out what the core decided after the event just handed to it.</summary>
    private void Execute() => _commands?.Run();

    private Task UpdateBusyAsync() => _core is { } core ? _keepAlive.UpdateAsync(() => core.HasWork, core.Draining) : Task.CompletedTask;

    private async Task HousekeepAsync()
    {
        var core = Core;
        core.Housekeep(Now);
        Execute();
        await RefreshCountsAsync();
        if (!core.HasWork)
        {
            _keepAlive.StopHousekeeping();
        }

        await UpdateBusyAsync();
    }

    /// <summary>
    /// Reads the queue's counters for the levels; with <paramref name="resetBacklog"/>, the backlog the
    /// max-backlog check keeps starts again from them too (after a wake, when someone else changed it).
    /// </summary>
    private async Task RefreshCountsAsync(bool resetBacklog = false)
    {
        try
        {
            var counts = await _numbers.RefreshAsync();
            if (resetBacklog)
            {
                Core.Backlog.Counted(QueueNumbers.Backlog(Core.Policy, counts));
            }
        }
        catch (Exception ex)
        {
            _log.StoreError(ex, "count jobs");
        }
    }
}
