using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using Orleans.Runtime;
using OrleansJobs.Diagnostics;
using OrleansJobs.Execution;
using OrleansJobs.Grains;
using OrleansJobs.Handlers;
using OrleansJobs.Hosting;
using OrleansJobs.Maintenance;
using OrleansJobs.Policies;
using OrleansJobs.Queues.Core;
using OrleansJobs.Storage;
using OrleansJobs.Tenants;

namespace OrleansJobs.Queues;

/// <summary>
/// Owns one queue: the thin shell around its <see cref="QueueCore"/>. It turns Orleans calls, timers,
/// the reminder and finished tasks into the core's events and carries out the commands the core
/// decides. The jobs live in the store; the core holds only a bounded window of due jobs, the
/// attempts it runs and the next due time. Reentrant, so that many enqueues and completions share
/// group commits; the core is still driven by one turn at a time.
/// </summary>
[Reentrant]
internal sealed partial class QueueGrain : Grain, IQueueGrain, IRemindable
{
    /// <summary>The DI key of the clock queues stamp leases and sweeps with; the silo's clock unless a test replaces it.</summary>
    public const string ClockKey = "OrleansJobs.Queues";

    private const string ReminderName = "pending-work";
    private static readonly TimeSpan ReminderPeriod = TimeSpan.FromMinutes(1);

    private readonly IQueueWriteStore _store;
    private readonly IQueueReadStore _reads;
    private readonly JobWriteBatcher _writes;
    private readonly JobTypeRegistry _registry;
    private readonly JobDispatcher _dispatcher;
    private readonly WorkerRoom _workerRoom;
    private readonly JobIdGenerator _ids;
    private readonly OrleansJobsOptions _options;
    private readonly TimeProvider _time;
    private readonly JobsMetrics _metrics;
    private readonly QueueGauges _gauges;
    private readonly StoreOutageLog _storeOutage;
    private readonly ILogger<QueueGrain> _logger;
    private readonly string _owner;
    private readonly ThroughputMeter _finished;

    /// <summary>How to stop each attempt that is running now, for a person's cancel.</summary>
    private readonly Dictionary<JobId, CancellationTokenSource> _cancellers = [];

    private QueueKey _queue;
    private JobTypeRegistration? _type;
    private QueueCore? _core;
    private QueueRoom? _room;
    private AttemptReport _report = null!;
    private ITenantGrain _tenant = null!;
    private QueueCounts? _counts;
    private bool _executing;
    private IGrainTimer? _dueTimer;
    private IGrainTimer? _pumpTimer;
    private IGrainTimer? _housekeeping;
    private bool _reminderOn;
    private bool _reminderUpdating;
    private bool _hadWork;
    private TaskCompletionSource? _drained;

    public QueueGrain(
        IQueueWriteStore store,
        IQueueReadStore reads,
        JobWriteBatcher writes,
        JobTypeRegistry registry,
        JobDispatcher dispatcher,
        WorkerRoom workerRoom,
        JobIdGenerator ids,
        IOptions<OrleansJobsOptions> options,
        [FromKeyedServices(ClockKey)] TimeProvider time,
        JobsMetrics metrics,
        QueueGauges gauges,
        ILocalSiloDetails silo,
        StoreOutageLog storeOutage,
        ILogger<QueueGrain> logger)
    {
        (_store, _reads, _writes, _registry, _dispatcher, _ids, _options, _time) = (store, reads, writes, registry, dispatcher, ids, options.Value, time);
        (_workerRoom, _metrics, _gauges, _storeOutage, _logger) = (workerRoom, metrics, gauges, storeOutage, logger);
        _owner = silo.SiloAddress.ToString();
        _finished = new ThroughputMeter(time);
    }

    /// <summary>The core; a queue whose job type has no handler here has none and refuses every call.</summary>
    private QueueCore Core => _core ?? throw new UnknownJobTypeException(_queue.JobType);

    private DateTimeOffset Now => _time.GetUtcNow();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _queue = QueueKey.Parse(this.GetPrimaryKeyString());
        if (!_registry.TryGet(_queue.JobType, out var type))
        {
            // Nothing here can run its jobs, so touch nothing: an enqueue naming an unknown type
            // (refused with UnknownJobTypeException) must not cost the store queries or a reminder.
            LogNoHandler(_queue.Tenant, _queue.JobType);
            return;
        }

        _type = type;
        _report = new AttemptReport(_queue, _metrics, _finished, _logger);
        _tenant = GrainFactory.GetGrain<ITenantGrain>(_queue.Tenant);
        var policy = EffectiveQueuePolicy.Resolve(type, await _reads.GetQueuePolicyAsync(_queue, cancellationToken));

        // This activation is the queue's only owner, so an attempt still marked active belongs to a
        // previous owner that is gone (crashed or shut down before it finished): run it again.
        var recovered = await _writes.RequeueAsync(new RequeueAllActive(_queue));
        if (recovered > 0)
        {
            LogRecovered(_queue.Tenant, _queue.JobType, recovered);
        }

        _counts = await _reads.GetQueueCountsAsync(_queue, cancellationToken);
        var nextDue = await _reads.GetNextDueAsync(_queue, cancellationToken);
        var settings = new QueueCoreSettings(_owner, _options.WindowSize, _options.AbandonGrace + ReminderPeriod, _options.MinDueCheckInterval,
            TenantGrain.HoldingLifetime(_options) / 2, TimeSpan.FromSeconds(1), type.Retry, type.IsRetryable);
        _room = _workerRoom.Open(_queue);
        _core = new QueueCore(settings, policy, Backlog(policy, _counts), new Random(), _room);
        _core.Activate(Now, nextDue);
        Execute();
        _gauges.Publish(_queue, ReadLevels);
        await UpdateBusyAsync();
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_core is not { } core)
        {
            return;
        }

        _gauges.Withdraw(_queue);
        _drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        core.Deactivate(Now);
        Execute();
        if (!_drained.Task.IsCompleted)
        {
            LogDraining(_queue.Tenant, _queue.JobType, core.Attempts.Count);
            try
            {
                await _drained.Task.WaitAsync(_options.ShutdownDrainTimeout, _time, cancellationToken);
            }
            catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
            {
                LogDrainIncomplete(_queue.Tenant, _queue.JobType, core.Attempts.Count);
            }
        }

        // Whatever the activation still holds goes back, even for handlers that outlived the drain.
        _room?.Close();

        // A stopping silo takes the tenant grains down too; their successors rebuild the ledger.
        if (reason.ReasonCode != DeactivationReasonCode.ShuttingDown && core.Permits.HoldsGrant)
        {
            core.Permits.Release();
            await CallTenantAsync(t => t.ReleasePermitsAsync(_queue.JobType));
        }

        if (core.HasWork && SuccessorWake.IsNeeded(reason))
        {
            var self = GrainFactory.GetGrain<IQueueGrain>(this.GetPrimaryKeyString());
            SuccessorWake.Send(_logger, $"Queue {_queue}", reason, self.WakeAsync);
        }
    }

    public async Task<JobId[]> EnqueueAsync(JobSubmission[] jobs)
    {
        var core = Core;
        if (jobs.Length == 0)
        {
            return [];
        }

        var rows = NewJobRows.Build(_queue, jobs, core.Policy, _options, _ids, Now);
        await ReserveBacklogAsync(core, rows);
        rows = core.PlanStarts(Now, rows);
        InsertOutcome[] outcomes;
        try
        {
            outcomes = await _writes.InsertAsync(rows);
        }
        catch (Exception ex)
        {
            core.InsertFailed(Now, rows);
            Execute();

            // Not committed, so not acknowledged. The store's own exception type may not even
            // deserialize on the caller's side; say plainly what happened.
            LogStoreError(ex, _queue.Tenant, _queue.JobType, "insert jobs");
            throw new JobStoreUnavailableException($"The job store could not commit {rows.Length} job(s) for queue {_queue}: {ex.GetType().Name}: {ex.Message}. Nothing was stored; retry later.");
        }

        core.InsertCommitted(Now, rows, outcomes);
        Execute();
        var ids = new JobId[outcomes.Length];
        var created = 0;
        for (var i = 0; i < outcomes.Length; i++)
        {
            ids[i] = outcomes[i].Id;
            created += outcomes[i].Created ? 1 : 0;
        }

        _metrics.Enqueued(_queue, created);
        await UpdateBusyAsync();
        return ids;
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

        var cancelled = await _writes.CancelAsync(new WaitingCancel(_queue.Tenant, id, Now));
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

    public Task<QueuePolicy> GetPolicyAsync() => Task.FromResult(Core.Policy.ToQueuePolicy());

    public async Task<QueuePolicy> SetPolicyAsync(QueuePolicy policyOverride)
    {
        var core = Core;
        JobValidator.ValidatePolicy(policyOverride);
        await _store.SetQueuePolicyAsync(_queue, policyOverride, Now, CancellationToken.None);
        var policy = EffectiveQueuePolicy.Resolve(_type!, policyOverride);
        _counts = await _reads.GetQueueCountsAsync(_queue, CancellationToken.None);
        core.PolicyChanged(Now, policy, _counts.Scheduled + _counts.Enqueued);
        LogPolicyChanged(_queue.Tenant, _queue.JobType, StoredJson.Write(policy.ToQueuePolicy()));
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
            var ids = await _writes.ShedAsync(new ShedRequest(_queue, shed.Above, shed.Count, $"Shed: queue full (max backlog {max}) when higher-priority work arrived.", Now));
            foreach (var id in ids)
            {
                _report.Shed(id);
            }

            core.Shed(ids);
            decision = core.ReserveBacklog(rows, shedDone: true);
        }

        if (decision is BacklogFull full)
        {
            // Time to drain the excess at the pace the queue has finished jobs lately.
            var pace = _finished.PerSecond();
            var retryAfter = pace > 0 ? TimeSpan.FromSeconds(Math.Clamp(full.Excess / pace, 1, 3600)) : TimeSpan.FromSeconds(5);
            throw new QueueFullException(_queue.ToString(), core.Policy.MaxBacklog!.Value, TimeSpan.FromSeconds(Math.Ceiling(retryAfter.TotalSeconds)));
        }
    }

    /// <summary>Jobs waiting in the store, which the core tracks only while the queue has a max backlog.</summary>
    private static long? Backlog(EffectiveQueuePolicy policy, QueueCounts counts) =>
        policy.MaxBacklog is null ? null : counts.Scheduled + counts.Enqueued;

    /// <summary>Carries out what the core decided, one command at a time; commands decided meanwhile join the loop rather than recurse.</summary>
    private void Execute()
    {
        if (_executing || _core is not { } core)
        {
            return;
        }

        _executing = true;
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
            _executing = false;
        }

        // Work that appears between the calls that keep the reminder (a retry, a requeue) needs it at
        // once; going idle waits for the next housekeeping tick, as a reminder's removal can.
        var hasWork = core.HasWork;
        if (hasWork && !_hadWork)
        {
            _ = UpdateBusyAsync();
        }

        _hadWork = hasWork;
    }
}
