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
using OrleansJobs.Policies;
using OrleansJobs.Storage;

namespace OrleansJobs.Queues;

/// <summary>
/// Owns one queue. The jobs live in the store; this grain holds only a bounded window of due jobs,
/// the ids of the attempts it runs, and the next due time. It is reentrant so that many enqueues
/// and completions share group commits; all state is still touched by one turn at a time, and
/// every await is followed by re-reading state rather than trusting what was read before it.
/// </summary>
[Reentrant]
internal sealed partial class QueueGrain : Grain, IQueueGrain, IRemindable
{
    /// <summary>The DI key of the clock queues stamp leases and sweeps with; the silo's clock unless a test replaces it.</summary>
    public const string ClockKey = "OrleansJobs.Queues";

    private const string ReminderName = "pending-work";
    private static readonly TimeSpan ReminderPeriod = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan StoreRetryDelay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan OutcomeRetryLimit = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan MaxOutcomeRetryDelay = TimeSpan.FromSeconds(5);

    private readonly IJobStore _store;
    private readonly JobWriteBatcher _writes;
    private readonly JobTypeRegistry _registry;
    private readonly JobDispatcher _dispatcher;
    private readonly JobIdGenerator _ids;
    private readonly OrleansJobsOptions _options;
    private readonly TimeProvider _time;
    private readonly JobsMetrics _metrics;
    private readonly QueueGauges _gauges;
    private readonly ILogger<QueueGrain> _logger;
    private readonly StoreOutageLog _storeOutage;
    private readonly string _owner;
    private readonly ReadyWindow _window;
    private readonly Random _random = new();

    /// <summary>Jobs whose attempt is being leased or run: the concurrency budget counts these.</summary>
    private readonly HashSet<JobId> _running = [];

    /// <summary>Jobs whose attempt ended and whose outcome is being written: their leases are still held.</summary>
    private readonly HashSet<JobId> _recording = [];

    /// <summary>How to stop each attempt that is running now, for a person's cancel.</summary>
    private readonly Dictionary<JobId, CancellationTokenSource> _cancellers = [];

    /// <summary>Attempts from lease request until their outcome is stored: a stopping queue waits for these.</summary>
    private int _busy;

    private QueueKey _queue;
    private JobTypeRegistration? _type;
    private EffectiveQueuePolicy _policy = null!;
    private TokenBucket? _bucket;
    private IGrainTimer? _pumpTimer;
    private readonly ThroughputMeter _finished;

    /// <summary>Jobs waiting in the store (scheduled or enqueued), tracked only while the queue has a max backlog.</summary>
    private long? _waiting;
    private bool _storeHasMore;

    /// <summary>
    /// The store may hold due jobs that run before the window's last one (requeued, replayed, a
    /// failed lease's): the next page is read from the top rather than after the window.
    /// </summary>
    private bool _readFromTop;
    private long _spills;
    private bool _refilling;

    /// <summary>Leases requested but not yet committed: their rows still read as enqueued in the store.</summary>
    private int _leasing;

    /// <summary>The last full page brought nothing new (only rows being leased): wait for a lease to commit before reading again.</summary>
    private bool _refillStalled;
    private DateTimeOffset? _nextDue;
    private DateTimeOffset? _notedDuringDueCheck;
    private bool _dueCheckRunning;
    private DateTimeOffset _lastDueCheck = DateTimeOffset.MinValue;
    private IGrainTimer? _dueTimer;
    private IGrainTimer? _housekeeping;
    private bool _reminderOn;
    private bool _reminderUpdating;
    private bool _draining;
    private TaskCompletionSource? _drained;

    public QueueGrain(
        IJobStore store,
        JobWriteBatcher writes,
        JobTypeRegistry registry,
        JobDispatcher dispatcher,
        JobIdGenerator ids,
        IOptions<OrleansJobsOptions> options,
        [FromKeyedServices(ClockKey)] TimeProvider time,
        JobsMetrics metrics,
        QueueGauges gauges,
        ILocalSiloDetails silo,
        StoreOutageLog storeOutage,
        ILogger<QueueGrain> logger)
    {
        _storeOutage = storeOutage;
        _store = store;
        _writes = writes;
        _registry = registry;
        _dispatcher = dispatcher;
        _ids = ids;
        _options = options.Value;
        _time = time;
        _metrics = metrics;
        _gauges = gauges;
        _logger = logger;
        _owner = silo.SiloAddress.ToString();
        _window = new ReadyWindow(_options.WindowSize);
        _finished = new ThroughputMeter(time);
    }

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
        _tenant = GrainFactory.GetGrain<ITenantGrain>(_queue.Tenant);
        _policy = EffectiveQueuePolicy.Resolve(type, await _store.GetQueuePolicyAsync(_queue, cancellationToken));
        _bucket = _policy.CreateBucket(_time);

        // This activation is the queue's only owner, so an attempt still marked active belongs to a
        // previous owner that is gone (crashed or shut down before it finished): run it again.
        var recovered = await _store.RequeueActiveAsync(_queue, leaseExpiredBefore: null, stillHeld: [], cancellationToken);
        if (recovered > 0)
        {
            LogRecovered(_queue.Tenant, _queue.JobType, recovered);
        }

        _storeHasMore = true;
        await CountQueueAsync(cancellationToken);
        _nextDue = await _store.GetNextDueAsync(_queue, cancellationToken);
        ArmDueTimer();
        _gauges.Publish(_queue, ReadLevels);
        await RefillAsync();
        await UpdateBusyAsync();
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _gauges.Withdraw(_queue);
        _draining = true;
        if (_busy > 0)
        {
            _drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            LogDraining(_queue.Tenant, _queue.JobType, _busy);
            try
            {
                await _drained.Task.WaitAsync(_options.ShutdownDrainTimeout, _time, cancellationToken);
            }
            catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
            {
                LogDrainIncomplete(_queue.Tenant, _queue.JobType, _busy);
            }
        }

        // A stopping silo takes the tenant grains down too; their successors rebuild the ledger.
        if (reason.ReasonCode != DeactivationReasonCode.ShuttingDown)
        {
            await ReleasePermitsAsync();
        }

        if (HasWork && SuccessorWake.IsNeeded(reason))
        {
            var self = GrainFactory.GetGrain<IQueueGrain>(this.GetPrimaryKeyString());
            SuccessorWake.Send(_logger, $"Queue {_queue}", reason, self.WakeAsync);
        }
    }

    public async Task<JobId[]> EnqueueAsync(JobSubmission[] jobs)
    {
        var type = _type ?? throw new UnknownJobTypeException(_queue.JobType);
        if (jobs.Length == 0)
        {
            return [];
        }

        JobValidator.ValidateBatch(jobs.Length, jobs.Sum(j => (long)j.Payload.Length), _options.Limits);

        var now = _time.GetUtcNow();
        var rows = new NewJob[jobs.Length];
        for (var i = 0; i < jobs.Length; i++)
        {
            var (payload, options) = (jobs[i].Payload, jobs[i].Options);
            try
            {
                JobValidator.ValidatePayload(payload, _options.Limits);
                JobValidator.ValidateOptions(options, now);
            }
            catch (JobValidationException ex) when (jobs.Length > 1)
            {
                throw new JobValidationException($"jobs[{i}].{ex.Field}", ex.Code, ex.Message);
            }

            var runAt = options.RunAt ?? now + (options.Delay ?? TimeSpan.Zero);
            rows[i] = new NewJob(
                _ids.Next(),
                _queue,
                payload,
                options.Priority,
                now,
                runAt > now ? CeilingToMillisecond(runAt) : FloorToMillisecond(now),
                options.MaxAttempts ?? _policy.MaxAttempts,
                options.Timeout ?? _policy.Timeout,
                options.IdempotencyKey,
                options.IdempotencyKey is null ? null : now + _options.IdempotencyRetention,
                jobs[i].TraceParent);
        }

        await ReserveBacklogAsync(rows);
        StartAtOnce(rows);
        InsertOutcome[] outcomes;
        try
        {
            outcomes = await _writes.InsertAsync(rows);
        }
        catch (Exception ex)
        {
            _waiting -= rows.Length;
            ReleaseStarts(rows);
            // Not committed, so not acknowledged. The store's own exception type may not even
            // deserialize on the caller's side; say plainly what happened.
            LogStoreError(ex, _queue.Tenant, _queue.JobType, "insert jobs");
            throw new JobStoreUnavailableException($"The job store could not commit {rows.Length} job(s) for queue {_queue}: {ex.GetType().Name}: {ex.Message}. Nothing was stored; retry later.");
        }

        var ids = new JobId[rows.Length];
        var created = 0;
        for (var i = 0; i < rows.Length; i++)
        {
            ids[i] = outcomes[i].Id;
            if (!outcomes[i].Created)
            {
                _waiting--;
                ReleaseStart(rows[i]);
                continue;
            }

            created++;
            if (rows[i].Start is not null)
            {
                _waiting--;
                _ = RunAsync(type, rows[i].FirstAttempt());
            }
            else if (rows[i].State == JobState.Enqueued)
            {
                Offer(new ReadyJob(rows[i].Id, rows[i].Priority, rows[i].RunAt));
            }
            else
            {
                NoteScheduled(rows[i].RunAt);
            }
        }

        _metrics.Enqueued(_queue, created);
        Pump();
        await UpdateBusyAsync();
        return ids;
    }

    public async Task<bool> CancelAsync(JobId id)
    {
        if (_cancellers.TryGetValue(id, out var running))
        {
            // The handler's token fires; the job ends cancelled once it stops or is abandoned.
            LogCancelRequested(id, _queue.Tenant, _queue.JobType);
            await running.CancelAsync();
            return true;
        }

        var cancelled = await _store.CancelAsync(_queue.Tenant, id, _time.GetUtcNow(), CancellationToken.None);
        if (cancelled)
        {
            _waiting--;
            _window.Remove(id);
            LogCancelled(id, _queue.Tenant, _queue.JobType);
            await RefreshLevelsAsync();
        }

        return cancelled;
    }

    public async Task WakeAsync()
    {
        if (_type is null)
        {
            return;
        }

        // A replay or a dead silo's hand-over may have changed the backlog behind our back.
        MarkStoreHasMore();
        await CheckDueAsync();
        await RefillAsync();
        await CountQueueAsync(CancellationToken.None);
        await UpdateBusyAsync();
    }

    public async Task<QueueStats> GetStatsAsync()
    {
        _ = _type ?? throw new UnknownJobTypeException(_queue.JobType);
        var counts = await _store.GetQueueCountsAsync(_queue, CancellationToken.None);
        var now = _time.GetUtcNow();
        var pace = _finished.PerSecond();
        return new QueueStats
        {
            Tenant = _queue.Tenant,
            JobType = _queue.JobType,
            Scheduled = counts.Scheduled,
            Enqueued = counts.Enqueued,
            Active = counts.Active,
            Succeeded = counts.Succeeded,
            DeadLettered = counts.Dead,
            OldestWaiting = counts.OldestEnqueuedRunAt is { } oldest ? (now > oldest ? now - oldest : TimeSpan.Zero) : null,
            CompletedPerSecond = pace,
            DrainTime = counts.Enqueued == 0 ? TimeSpan.Zero : pace > 0 ? TimeSpan.FromSeconds(counts.Enqueued / pace) : null,
        };
    }

    public Task<QueuePolicy> GetPolicyAsync() =>
        Task.FromResult((_type is null ? throw new UnknownJobTypeException(_queue.JobType) : _policy).ToQueuePolicy());

    public async Task<QueuePolicy> SetPolicyAsync(QueuePolicy policyOverride)
    {
        var type = _type ?? throw new UnknownJobTypeException(_queue.JobType);
        JobValidator.ValidatePolicy(policyOverride);
        await _store.SetQueuePolicyAsync(_queue, policyOverride, _time.GetUtcNow(), CancellationToken.None);
        _policy = EffectiveQueuePolicy.Resolve(type, policyOverride);
        _bucket = _policy.CreateBucket(_time);
        await CountQueueAsync(CancellationToken.None);
        LogPolicyChanged(_queue.Tenant, _queue.JobType, StoredJson.Write(_policy.ToQueuePolicy()));
        Pump();
        return _policy.ToQueuePolicy();
    }

    /// <summary>
    /// Holds room in the backlog for the new jobs. A full queue refuses them, or, when its overflow
    /// policy sheds, first cancels as many lower-priority due jobs as it takes to fit them.
    /// </summary>
    private async Task ReserveBacklogAsync(NewJob[] rows)
    {
        var count = rows.Length;
        if (_policy.MaxBacklog is not { } max || _waiting is not { } waiting)
        {
            return;
        }

        if (waiting + count > max && _policy.Overflow == OverflowPolicy.ShedLowestPriority)
        {
            // Only jobs below every new job's priority may make way for them.
            var lowestNew = rows.Max(r => r.Priority);
            var excess = (int)Math.Min(waiting + count - max, int.MaxValue);
            var shed = await _store.ShedAsync(_queue, lowestNew, excess, $"Shed: queue full (max backlog {max}) when higher-priority work arrived.", _time.GetUtcNow(), CancellationToken.None);
            foreach (var id in shed)
            {
                _window.Remove(id);
                LogShed(id, _queue.Tenant, _queue.JobType);
            }

            _waiting -= shed.Count;
            waiting = _waiting ?? 0;
        }

        if (waiting + count > max)
        {
            // Time to drain the excess at the pace the queue has finished jobs lately.
            var excess = waiting + count - max;
            var pace = _finished.PerSecond();
            var retryAfter = pace > 0 ? TimeSpan.FromSeconds(Math.Clamp(excess / pace, 1, 3600)) : TimeSpan.FromSeconds(5);
            throw new QueueFullException(_queue.ToString(), max, TimeSpan.FromSeconds(Math.Ceiling(retryAfter.TotalSeconds)));
        }

        _waiting = waiting + count;
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        // Activation already loaded everything; a tick on a live activation only nudges it.
        await RefillAsync();
        await UpdateBusyAsync();
    }

    /// <summary>Starts as many attempts as the budget allows, and pages in more jobs when the window runs low.</summary>
    private void Pump()
    {
        if (_type is not { } type || _draining)
        {
            return;
        }

        var free = Math.Min(SlotsFree, _window.Count);
        if (free > 0 && _bucket is { } bucket)
        {
            free = bucket.TakeUpTo(free);
            if (free == 0)
            {
                ArmPumpTimer(bucket.TimeUntilNextToken());
            }
        }

        if (free > 0)
        {
            var now = _time.GetUtcNow();
            var batch = new List<LeaseRequest>(Math.Min(free, _window.Count));
            while (batch.Count < free && _window.TryTakeFirst(out var job))
            {
                _running.Add(job.Id);
                batch.Add(new LeaseRequest(job.Id, _owner, now, LeaseMargin));
            }

            _busy += batch.Count;
            _leasing += batch.Count;

            _ = LeaseAndRunAsync(type, batch);
        }

        if (_storeHasMore && !_refilling && !_refillStalled && _window.Count <= _window.Capacity / 2)
        {
            _ = RefillAsync();
        }

        SyncPermitsIfNeeded();
    }

    private async Task LeaseAndRunAsync(JobTypeRegistration type, List<LeaseRequest> batch)
    {
        LeasedJob?[] leased;
        try
        {
            leased = await _writes.LeaseAsync(batch);
        }
        catch (Exception ex)
        {
            _leasing -= batch.Count;
            // Nothing was written: the jobs are still enqueued in the store and are paged in again.
            LogStoreError(ex, _queue.Tenant, _queue.JobType, "lease");
            foreach (var request in batch)
            {
                _running.Remove(request.Id);
                ReleaseBusy();
            }

            MarkStoreHasMore();
            return;
        }

        _leasing -= batch.Count;
        _refillStalled = false;
        for (var i = 0; i < leased.Length; i++)
        {
            if (leased[i] is { } job)
            {
                _waiting--;
                _ = RunAsync(type, job);
            }
            else
            {
                // Cancelled, or already taken by another attempt since it was paged in.
                _running.Remove(batch[i].Id);
                ReleaseBusy();
            }
        }

        Pump();
    }

    private async Task RunAsync(JobTypeRegistration type, LeasedJob job)
    {
        try
        {
            if (job.Attempt > job.MaxAttempts)
            {
                // Earlier attempts started but never reported: their silo died mid-run. A job that
                // kills its silo every time must not loop forever.
                _running.Remove(job.Id);
                _recording.Add(job.Id);
                await RecordOutcomeAsync(type, job, new JobRunResult(new JobAttemptsLostException(job.Attempt - 1), TimeSpan.Zero));
                return;
            }

            _metrics.Started(_queue, _time.GetUtcNow() - job.CreatedAt);
            LogStarting(job.Id, _queue.Tenant, _queue.JobType, job.Attempt);
            using var canceller = new CancellationTokenSource();
            _cancellers[job.Id] = canceller;
            JobRunResult result;
            try
            {
                result = await _dispatcher.RunAsync(job, type, canceller.Token);
            }
            finally
            {
                _cancellers.Remove(job.Id);
            }

            _running.Remove(job.Id);
            _recording.Add(job.Id);
            Pump();
            await RecordOutcomeAsync(type, job, result);
        }
        catch (Exception ex)
        {
            // The outcome was not stored; the lease expires and the job runs again.
            _running.Remove(job.Id);
            LogStoreError(ex, _queue.Tenant, _queue.JobType, "record outcome");
        }
        finally
        {
            _recording.Remove(job.Id);
            ReleaseBusy();
        }
    }

    private void ReleaseBusy()
    {
        if (--_busy == 0)
        {
            _drained?.TrySetResult();
        }
    }

    /// <summary>
    /// Stores how the attempt ended. The write is guarded by the lease, so retrying it is safe; while
    /// the store is down it is retried with backoff rather than left for the lease to expire.
    /// </summary>
    private async Task RecordOutcomeAsync(JobTypeRegistration type, LeasedJob job, JobRunResult result)
    {
        var delay = TimeSpan.FromMilliseconds(100);
        var deadline = _time.GetUtcNow() + OutcomeRetryLimit;
        while (true)
        {
            try
            {
                if (result.Error is null)
                {
                    await RecordSuccessAsync(job, result);
                }
                else if (result.Error is JobCancelledException cancelled)
                {
                    await RecordCancelledAsync(job, cancelled, result.Silo);
                }
                else
                {
                    await RecordFailureAsync(type, job, result, type.IsRetryable(result.Error));
                }

                return;
            }
            catch (Exception ex) when (_time.GetUtcNow() < deadline)
            {
                LogStoreError(ex, _queue.Tenant, _queue.JobType, "record outcome");
                await Task.Delay(delay, _time);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxOutcomeRetryDelay.Ticks));
            }
        }
    }

    private async Task RecordCancelledAsync(LeasedJob job, JobCancelledException reason, string? silo)
    {
        var now = _time.GetUtcNow();
        var entry = new AttemptError(job.Attempt, now, silo ?? _owner, typeof(JobCancelledException).FullName!, reason.Message, null);
        if (await _writes.CancelRunningAsync(new CancelledRun(job.Id, job.Lease, entry)))
        {
            _finished.Record();
            LogCancelled(job.Id, _queue.Tenant, _queue.JobType);
        }
        else
        {
            OnLeaseLost(job);
        }
    }

    private async Task RecordSuccessAsync(LeasedJob job, JobRunResult result)
    {
        var stored = await _writes.CompleteAsync(new Completion(job.Id, job.Lease, _time.GetUtcNow()));
        if (!stored)
        {
            OnLeaseLost(job);
            return;
        }

        _finished.Record();
        _metrics.Succeeded(_queue, result.Duration);
        LogSucceeded(job.Id, _queue.Tenant, _queue.JobType, job.Attempt, result.Duration.TotalMilliseconds);
    }

    private async Task RecordFailureAsync(JobTypeRegistration type, LeasedJob job, JobRunResult result, bool retryable)
    {
        var error = result.Error!;
        var now = _time.GetUtcNow();
        var attemptError = new AttemptError(job.Attempt, now, result.Silo ?? _owner, JobErrors.TypeName(error), error.Message, error.ToString());
        var decision = RetryDecision.For(job.Attempt, job.MaxAttempts, retryable, type.Retry, now, _random);
        decision = decision with { RetryAt = CeilingToMillisecond(decision.RetryAt) };
        _metrics.Failed(_queue, result.Duration);
        if (decision.DeadLetter)
        {
            if (await _writes.DeadLetterAsync(new DeadLetter(job.Id, job.Lease, attemptError)))
            {
                _finished.Record();
                _metrics.DeadLettered(_queue);
                LogDeadLettered(error, job.Id, _queue.Tenant, _queue.JobType, job.Attempt, job.MaxAttempts, retryable);
            }
            else
            {
                OnLeaseLost(job);
            }

            return;
        }

        if (await _writes.RetryAsync(new Retry(job.Id, job.Lease, decision.RetryAt, attemptError)))
        {
            _waiting++;
            _metrics.Retried(_queue);
            NoteScheduled(decision.RetryAt);
            LogRetrying(job.Id, _queue.Tenant, _queue.JobType, job.Attempt, job.MaxAttempts, decision.RetryAt, JobErrors.ShortTypeName(error), error.Message);
        }
        else
        {
            OnLeaseLost(job);
        }
    }

    /// <summary>
    /// The store refused the outcome: the attempt's lease was taken from it (swept as expired, or by
    /// another owner). The job may be enqueued again, and the window may have skipped it while the
    /// attempt ran, so the next page is read from the top.
    /// </summary>
    private void OnLeaseLost(LeasedJob job)
    {
        LogStaleLease(job.Id, _queue.Tenant, _queue.JobType, job.Attempt, job.Lease);
        MarkStoreHasMore();
        Pump();
    }

    /// <summary>A due job was stored: keep it in the window if it belongs there, else remember the store has more.</summary>
    private void Offer(ReadyJob job)
    {
        if (_running.Contains(job.Id))
        {
            return;
        }

        // The window is the head of the queue: while the store holds jobs it lacks, a job that runs
        // after all of its own may run after some of those too, so it waits in the store for its page.
        // What did not fit, or was evicted, likewise runs after every job left in the window.
        if ((_storeHasMore && _window.RunsAfterAll(job)) || _window.Offer(job))
        {
            NoteSpilled();
        }
    }

    /// <summary>The store holds due jobs the window lacks, anywhere in run order.</summary>
    private void MarkStoreHasMore()
    {
        _readFromTop = true;
        NoteSpilled();
    }

    /// <summary>The store holds due jobs the window lacks, all of them after the window's last.</summary>
    private void NoteSpilled()
    {
        _storeHasMore = true;
        _refillStalled = false;
        _spills++;
    }

    /// <summary>
    /// Pages the best due jobs from the store into the window: those after the window's last, so
    /// no job already in it is read again, unless the store may hold better ones. The store is known
    /// to be fully mirrored only if the page came back short and nothing spilled past the window meanwhile.
    /// </summary>
    private async Task RefillAsync()
    {
        if (_refilling || !_storeHasMore || _draining)
        {
            return;
        }

        _refilling = true;
        try
        {
            // Run as its own turn: a store that answers synchronously must not make Pump and
            // RefillAsync recurse into each other.
            await Task.Yield();
            var spillsBefore = _spills;
            var inWindowBefore = _window.Count;
            var after = _readFromTop ? null : _window.Last;
            _readFromTop = false;

            // From the top, rows whose lease is still being written read as enqueued: read past them.
            // After the window's last there are none, and only the room left is worth reading.
            var limit = after is null ? _window.Capacity + _leasing : _window.Capacity - _window.Count;
            var page = limit > 0 ? await _store.ReadReadyAsync(_queue, after, limit, CancellationToken.None) : [];
            var spilled = false;
            foreach (var job in page)
            {
                if (!_running.Contains(job.Id))
                {
                    spilled |= _window.Offer(job);
                }
            }

            var full = page.Count == limit;
            _storeHasMore = spilled || full || _spills != spillsBefore;
            _refillStalled = limit > 0 && full && !spilled && _window.Count == inWindowBefore && _spills == spillsBefore;
        }
        catch (Exception ex)
        {
            // The page this read owed may have been the top one: the next read makes up for it.
            _readFromTop = true;
            LogStoreError(ex, _queue.Tenant, _queue.JobType, "read ready page");
        }
        finally
        {
            _refilling = false;
        }

        Pump();
    }

    private void NoteScheduled(DateTimeOffset runAt)
    {
        if (_dueCheckRunning && (_notedDuringDueCheck is null || runAt < _notedDuringDueCheck))
        {
            _notedDuringDueCheck = runAt;
        }

        if (_nextDue is null || runAt < _nextDue)
        {
            _nextDue = runAt;
            ArmDueTimer();
        }
    }

    private void ArmDueTimer()
    {
        if (_nextDue is not { } due)
        {
            _dueTimer?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            return;
        }

        var now = _time.GetUtcNow();
        // Not sooner than MinDueCheckInterval after the last check, so a stream of retries is promoted in batches.
        var earliest = _lastDueCheck + _options.MinDueCheckInterval;
        var at = due > earliest ? due : earliest;
        var delay = at > now ? at - now : TimeSpan.Zero;

        if (_dueTimer is null)
        {
            _dueTimer = this.RegisterGrainTimer(static (grain, _) => grain.CheckDueAsync(), this,
                new GrainTimerCreationOptions(delay, Timeout.InfiniteTimeSpan) { Interleave = true, KeepAlive = true });
        }
        else
        {
            _dueTimer.Change(delay, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Pumps again once the rate limit has a token; one timer per queue, re-armed as needed.</summary>
    private void ArmPumpTimer(TimeSpan delay)
    {
        if (_pumpTimer is null)
        {
            _pumpTimer = this.RegisterGrainTimer(static (grain, _) =>
            {
                grain.Pump();
                return Task.CompletedTask;
            }, this, new GrainTimerCreationOptions(delay, Timeout.InfiniteTimeSpan) { Interleave = true, KeepAlive = true });
        }
        else
        {
            _pumpTimer.Change(delay, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Moves jobs whose time has come from scheduled to enqueued, then finds the next due time.</summary>
    private async Task CheckDueAsync()
    {
        if (_dueCheckRunning)
        {
            return;
        }

        _dueCheckRunning = true;
        _notedDuringDueCheck = null;
        _lastDueCheck = _time.GetUtcNow();
        DateTimeOffset? next;
        try
        {
            var promotion = await _store.PromoteDueAsync(_queue, _time.GetUtcNow(), _window.Capacity, CancellationToken.None);

            // Offered straight to the window: one that does not fit marks the store as holding more,
            // and the window pages it in when it runs low, so a due check costs no page read.
            foreach (var job in promotion.Promoted)
            {
                Offer(job);
            }

            next = promotion.NextDue;
        }
        catch (Exception ex)
        {
            LogStoreError(ex, _queue.Tenant, _queue.JobType, "promote due jobs");
            next = _time.GetUtcNow() + StoreRetryDelay;
        }
        finally
        {
            _dueCheckRunning = false;
        }

        // A retry noted while the query ran may be missing from its answer.
        _nextDue = _notedDuringDueCheck is { } noted && (next is null || noted < next) ? noted : next;
        ArmDueTimer();
        Pump();
    }

    /// <summary>
    /// A due job's run-at as every store keeps it exactly, so the window orders the jobs it was
    /// offered as the store orders those it pages in, and a page read after the window's last job
    /// skips none.
    /// </summary>
    private static DateTimeOffset FloorToMillisecond(DateTimeOffset time) =>
        new(time.UtcTicks - (time.UtcTicks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);

    /// <summary>
    /// Stores keep times to the millisecond (or finer) by truncating; rounding a due time up first
    /// means a timer armed from the stored value after a restart can never fire early.
    /// </summary>
    private static DateTimeOffset CeilingToMillisecond(DateTimeOffset time)
    {
        var ticks = time.UtcTicks;
        var rounded = (ticks + TimeSpan.TicksPerMillisecond - 1) / TimeSpan.TicksPerMillisecond * TimeSpan.TicksPerMillisecond;
        return new DateTimeOffset(rounded, TimeSpan.Zero);
    }

    /// <summary>Attempts the queue may start now: its concurrency budget left, within its tenant's permits.</summary>
    private int SlotsFree => Math.Min(_policy.MaxConcurrency - _running.Count, PermitsFree());

    /// <summary>How long past its timeout an attempt's lease lasts: the handler's grace to stop, plus a reminder period of slack.</summary>
    private TimeSpan LeaseMargin => _options.AbandonGrace + ReminderPeriod;

    private bool HasWork => _window.Count > 0 || _storeHasMore || _running.Count > 0 || _busy > 0 || _nextDue is not null;

    /// <summary>
    /// Keeps a busy queue alive and recoverable: a housekeeping timer while active, a reminder in
    /// case the silo dies. An idle queue drops both so it can be collected.
    /// </summary>
    private async Task UpdateBusyAsync()
    {
        if (HasWork && _housekeeping is null && !_draining)
        {
            // A random first tick: queues that got busy together (a deploy, a burst across tenants) would
            // otherwise sweep and fold their counters in the same instant, every interval, and stall
            // the store's commits for everyone while they do.
            var firstTick = _options.HousekeepingInterval * (0.5 + _random.NextDouble());
            _housekeeping = this.RegisterGrainTimer(static (grain, _) => grain.HousekeepAsync(), this,
                new GrainTimerCreationOptions(firstTick, _options.HousekeepingInterval) { Interleave = true, KeepAlive = true });
        }

        if (_reminderUpdating)
        {
            return;
        }

        _reminderUpdating = true;
        try
        {
            // Work may come or go during the await; loop until the reminder matches it.
            while (HasWork != _reminderOn)
            {
                if (!_reminderOn)
                {
                    await this.RegisterOrUpdateReminder(ReminderName, ReminderPeriod, ReminderPeriod);
                    _reminderOn = true;
                }
                else if (await this.GetReminder(ReminderName) is { } reminder)
                {
                    await this.UnregisterReminder(reminder);
                    _reminderOn = false;
                }
                else
                {
                    _reminderOn = false;
                }
            }
        }
        catch (Exception ex)
        {
            LogReminderError(ex, _queue.Tenant, _queue.JobType);
        }
        finally
        {
            _reminderUpdating = false;
        }
    }

    private async Task HousekeepAsync()
    {
        // Renews the tenant's grant so it does not lapse while the queue runs long jobs.
        await SyncPermitsAsync();
        try
        {
            // An attempt this activation holds is never taken from it, however long it has waited for
            // a worker slot past its lease, nor while its outcome is written: a requeue would run it twice.
            var requeued = await _store.RequeueActiveAsync(_queue, _time.GetUtcNow(), [.. _running, .. _recording], CancellationToken.None);
            if (requeued > 0)
            {
                _waiting += requeued;
                LogLeasesExpired(_queue.Tenant, _queue.JobType, requeued);
                MarkStoreHasMore();
            }
        }
        catch (Exception ex)
        {
            LogStoreError(ex, _queue.Tenant, _queue.JobType, "requeue expired leases");
        }

        await RefillAsync();
        await RefreshLevelsAsync();
        if (!HasWork)
        {
            _housekeeping?.Dispose();
            _housekeeping = null;
        }

        await UpdateBusyAsync();
    }
}
