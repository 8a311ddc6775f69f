using System.Diagnostics;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansJobs.Diagnostics;
using OrleansJobs.Hosting;

namespace OrleansJobs.Storage;

/// <summary>
/// Group commit, the one writer of the silo's jobs: every queue on the silo hands every write to its
/// jobs here (inserts, leases, outcomes, due promotions, sweeps, sheds, cancels), and each flush
/// applies whatever has gathered as one transaction, so a thousand concurrent enqueues cost one
/// commit, not a thousand. There is no timer: while one flush commits, the next batch fills.
/// <para>
/// Two lines feed the flushes. A write of fewer than <see cref="OrleansJobsOptions.ParallelWriteMinRows"/>
/// rows from a quiet queue (its writes lately at least <see cref="WritePace.QuietSpacing"/> apart on
/// average, at most one other of them committing and none on the main line) takes the express line: it
/// commits at once beside whatever is in flight, with the other quiet queues' writes
/// that arrived meanwhile, one express flush at a time. So another tenant's bulk insert or busy drain
/// never holds a quiet queue's enqueue, lease or outcome behind it. Every other write takes the main
/// line, where a further flush starts beside those in flight (up to the store's
/// <see cref="IQueueWriteStore.ConcurrentWrites"/>) only when at least that many rows wait, so a busy
/// queue's writes form batches instead of paying one transaction each, and only while the main line's
/// flushes hold no more than <see cref="OrleansJobsOptions.MaxWriteRowsInFlight"/> rows together: the
/// database spends its CPU on big writes, so more of them at once add no throughput and make every
/// other write, the express line's too, wait for its share. A store that writes one transaction at a
/// time has only the main line.
/// </para>
/// Each caller's task completes only when its own write has committed, and fails when the flush
/// fails, so nothing is acknowledged that is not durable. Callers send a write only after the
/// writes it depends on have committed, so flushes in parallel never reorder one job's writes.
/// </summary>
internal sealed partial class JobWriteBatcher : IAsyncDisposable
{
    private readonly IQueueWriteStore _store;
    private readonly JobsMetrics _metrics;
    private readonly ILogger<JobWriteBatcher> _logger;
    private readonly int _maxRows;
    private readonly int _parallelMinRows;
    private readonly int _maxRowsInFlight;
    private readonly int _maxFlushes;
    private readonly TimeProvider _time;
    private readonly bool _hasExpressLine;
    private readonly ConcurrentQueue<PendingWrite> _main = new();
    private readonly ConcurrentQueue<PendingWrite> _express = new();

    private const int PruneEvery = 4096;

    /// <summary>
    /// Per queue, its writes not yet committed or failed, when the last arrived and their pace. A busy
    /// queue batches on the main line: on the express line its writes would pay a transaction each and
    /// cost the drain its throughput. Under its own lock, with <see cref="_closed"/>.
    /// </summary>
    private readonly Dictionary<QueueKey, QueueWrites> _queues = [];
    private int _writesSincePrune;
    private bool _closed;

    /// <summary>Released when a write arrives that may start a flush, or a flush ends; spurious releases only cost a re-check.</summary>
    private readonly SemaphoreSlim _changed = new(0);
    private readonly Task _dispatcher;

    /// <summary>Rows waiting on the main line.</summary>
    private long _mainRows;

    /// <summary>Flushes in flight, express ones included.</summary>
    private int _inFlight;
    private int _expressInFlight;

    /// <summary>Rows in the main line's flushes in flight.</summary>
    private long _mainRowsInFlight;

    public JobWriteBatcher(IQueueWriteStore store, IOptions<OrleansJobsOptions> options, JobsMetrics metrics, TimeProvider time, ILogger<JobWriteBatcher> logger)
    {
        _store = store;
        _time = time;
        _metrics = metrics;
        _logger = logger;
        _maxRows = options.Value.MaxWriteBatchRows;
        _parallelMinRows = options.Value.ParallelWriteMinRows;
        _maxRowsInFlight = options.Value.MaxWriteRowsInFlight;
        _maxFlushes = Math.Max(1, store.ConcurrentWrites);
        _hasExpressLine = _maxFlushes > 1;
        _dispatcher = Task.Run(DispatchAsync);
    }

    public Task<InsertOutcome[]> InsertAsync(QueueKey queue, IReadOnlyList<NewJob> jobs) => Enqueue<InsertOutcome[]>(queue, jobs.Count, b => b.Inserts.AddRange(jobs), (r, start) => r.Inserts.AsSpan(start.Inserts, jobs.Count).ToArray());

    public Task<LeasedJob?[]> LeaseAsync(QueueKey queue, IReadOnlyList<LeaseRequest> leases) => Enqueue<LeasedJob?[]>(queue, leases.Count, b => b.Leases.AddRange(leases), (r, start) => r.Leases.AsSpan(start.Leases, leases.Count).ToArray());

    public Task<bool> CompleteAsync(QueueKey queue, Completion completion) => Enqueue<bool>(queue, 1, b => b.Completions.Add(completion), (r, start) => r.Completions[start.Completions]);

    public Task<bool> RetryAsync(QueueKey queue, Retry retry) => Enqueue<bool>(queue, 1, b => b.Retries.Add(retry), (r, start) => r.Retries[start.Retries]);

    public Task<bool> SnoozeAsync(QueueKey queue, Snooze snooze) => Enqueue<bool>(queue, 1, b => b.Snoozes.Add(snooze), (r, start) => r.Snoozes[start.Snoozes]);

    public Task<bool> CancelRunningAsync(QueueKey queue, CancelledRun cancelled) => Enqueue<bool>(queue, 1, b => b.Cancellations.Add(cancelled), (r, start) => r.Cancellations[start.Cancellations]);

    public Task<bool> DeadLetterAsync(QueueKey queue, DeadLetter deadLetter) => Enqueue<bool>(queue, 1, b => b.DeadLetters.Add(deadLetter), (r, start) => r.DeadLetters[start.DeadLetters]);

    public Task<DuePromotion> PromoteDueAsync(DuePromotionRequest promotion) => Enqueue<DuePromotion>(promotion.Queue, 1, b => b.Promotions.Add(promotion), (r, start) => r.Promotions[start.Promotions]);

    public Task<int> RequeueAsync(ActiveRequeue requeue) => Enqueue<int>(requeue.Queue, 1, b => b.Requeues.Add(requeue), (r, start) => r.Requeues[start.Requeues]);

    public Task<IReadOnlyList<JobId>> ShedAsync(ShedRequest shed) => Enqueue<IReadOnlyList<JobId>>(shed.Queue, 1, b => b.Sheds.Add(shed), (r, start) => r.Sheds[start.Sheds]);

    public Task<IReadOnlyList<ReadyJob>> AgeAsync(AgingRequest aging) => Enqueue<IReadOnlyList<ReadyJob>>(aging.Queue, 1, b => b.Agings.Add(aging), (r, start) => r.Agings[start.Agings]);

    public Task<bool> CancelAsync(QueueKey queue, WaitingCancel cancel) => Enqueue<bool>(queue, 1, b => b.Cancels.Add(cancel), (r, start) => r.Cancels[start.Cancels]);

    private Task<T> Enqueue<T>(QueueKey queue, int rows, Action<JobWriteBatch> add, Func<JobWriteResult, Offsets, T> take)
    {
        var write = new PendingWrite<T>(queue, add, take);
        var now = _time.GetTimestamp();
        bool express;
        lock (_queues)
        {
            ObjectDisposedException.ThrowIf(_closed, this);
            ref var writes = ref CollectionsMarshal.GetValueRefOrAddDefault(_queues, queue, out var known);
            if (known)
            {
                writes.Pace.Arrived(_time.GetElapsedTime(writes.LastArrived, now));
            }
            else
            {
                writes.Pace = WritePace.Fresh;
            }

            // A trickle's next write may find its previous one still committing; a burst of writes from
            // one queue batches on the main line.
            express = _hasExpressLine && rows < _parallelMinRows && writes.Unfinished <= 1 && writes.OnMainLine == 0 && writes.Pace.IsQuiet;
            write.Express = express;
            writes.Unfinished++;
            writes.OnMainLine += express ? 0 : 1;
            writes.LastArrived = now;
            if (++_writesSincePrune >= PruneEvery)
            {
                ForgetQuietQueues(now);
            }
        }

        if (express)
        {
            _express.Enqueue(write);
            _changed.Release();
            return write.Task;
        }

        var before = Interlocked.Add(ref _mainRows, rows) - rows;
        _main.Enqueue(write);
        if (before == 0 || (before < _parallelMinRows && before + rows >= _parallelMinRows))
        {
            _changed.Release();
        }

        return write.Task;
    }

    private async Task DispatchAsync()
    {
        while (true)
        {
            if (!_express.IsEmpty && Volatile.Read(ref _expressInFlight) == 0)
            {
                Interlocked.Increment(ref _expressInFlight);
                StartFlush(_express, express: true);
            }
            else if (!_main.IsEmpty && MayFlushMain())
            {
                StartFlush(_main, express: false);
            }
            else if (Volatile.Read(ref _closed) && _express.IsEmpty && _main.IsEmpty && Volatile.Read(ref _inFlight) == 0)
            {
                return;
            }
            else
            {
                await _changed.WaitAsync();
            }
        }
    }

    /// <summary>
    /// The first flush always may; a parallel one when it has enough rows to be worth a transaction
    /// and the main line's flushes would not hold more than <see cref="OrleansJobsOptions.MaxWriteRowsInFlight"/>
    /// rows with it. A small flush in flight is waited out, so a busy queue's writes keep forming batches.
    /// </summary>
    private bool MayFlushMain()
    {
        var inFlight = Volatile.Read(ref _inFlight);
        if (inFlight == 0)
        {
            return true;
        }

        var waiting = Interlocked.Read(ref _mainRows);
        return inFlight < _maxFlushes && waiting >= _parallelMinRows
            && Interlocked.Read(ref _mainRowsInFlight) + Math.Min(waiting, _maxRows) <= _maxRowsInFlight;
    }

    private void StartFlush(ConcurrentQueue<PendingWrite> line, bool express)
    {
        Interlocked.Increment(ref _inFlight);
        var batch = new JobWriteBatch();
        var flush = new List<(PendingWrite Write, Offsets At)>();
        // A caller's rows are never split across flushes, so one bulk insert is one transaction.
        while (batch.Count < _maxRows && line.TryDequeue(out var write))
        {
            flush.Add((write, Offsets.Of(batch)));
            write.AddTo(batch);
        }

        if (!express)
        {
            Interlocked.Add(ref _mainRows, -batch.Count);
            Interlocked.Add(ref _mainRowsInFlight, batch.Count);
        }

        _ = FlushAsync(batch, flush, Stopwatch.GetElapsedTime(flush[0].Write.Arrived), express);
    }

    private async Task FlushAsync(JobWriteBatch batch, List<(PendingWrite Write, Offsets At)> flush, TimeSpan oldestWaited, bool express)
    {
        JobWriteResult? result = null;
        Exception? error = null;
        try
        {
            var started = Stopwatch.GetTimestamp();
            result = await _store.WriteAsync(batch, CancellationToken.None);
            _metrics.Committed(batch.Count, Stopwatch.GetElapsedTime(started), oldestWaited);
        }
        catch (Exception ex)
        {
            LogFlushFailed(ex, batch.Count);
            error = ex;
        }

        // Before the callers hear back, so the write a caller sends next finds its queue quiet again.
        Forget(flush);
        try
        {
            foreach (var (write, at) in flush)
            {
                if (result is not null)
                {
                    write.Complete(result, at);
                }
                else
                {
                    write.Fail(error!);
                }
            }
        }
        finally
        {
            if (express)
            {
                Interlocked.Decrement(ref _expressInFlight);
            }
            else
            {
                Interlocked.Add(ref _mainRowsInFlight, -batch.Count);
            }

            Interlocked.Decrement(ref _inFlight);
            _changed.Release();
        }
    }

    private void Forget(List<(PendingWrite Write, Offsets At)> flush)
    {
        lock (_queues)
        {
            foreach (var (write, _) in flush)
            {
                ref var writes = ref CollectionsMarshal.GetValueRefOrNullRef(_queues, write.Queue);
                writes.Unfinished--;
                writes.OnMainLine -= write.Express ? 0 : 1;
            }
        }
    }

    /// <summary>Drops the queues whose next write starts a fresh pace anyway, so the table holds only recent writers.</summary>
    private void ForgetQuietQueues(long now)
    {
        _writesSincePrune = 0;
        foreach (var (queue, writes) in _queues)
        {
            if (writes.Unfinished == 0 && _time.GetElapsedTime(writes.LastArrived, now) >= WritePace.Settled)
            {
                _queues.Remove(queue);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        lock (_queues)
        {
            _closed = true;
        }

        _changed.Release();
        await _dispatcher;
    }

    // Debug: every caller gets the error and reports it through the silo's outage log, once per outage.
    [LoggerMessage(EventId = (int)Diagnostics.LogEvents.GroupCommitFailed, Level = LogLevel.Debug, Message = "Group commit of {Rows} rows failed; every caller in it gets the error")]
    private partial void LogFlushFailed(Exception exception, int rows);

    /// <summary>Where a caller's rows start in each list of the batch.</summary>
    private readonly record struct Offsets(
        int Inserts, int Leases, int Completions, int Retries, int Snoozes, int DeadLetters, int Cancellations, int Promotions, int Requeues, int Sheds, int Agings, int Cancels)
    {
        public static Offsets Of(JobWriteBatch b) => new(
            b.Inserts.Count, b.Leases.Count, b.Completions.Count, b.Retries.Count, b.Snoozes.Count, b.DeadLetters.Count, b.Cancellations.Count,
            b.Promotions.Count, b.Requeues.Count, b.Sheds.Count, b.Agings.Count, b.Cancels.Count);
    }

    private struct QueueWrites
    {
        public int Unfinished;
        public int OnMainLine;
        public long LastArrived;
        public WritePace Pace;
    }

    private abstract class PendingWrite(QueueKey queue)
    {
        public QueueKey Queue { get; } = queue;

        public long Arrived { get; } = Stopwatch.GetTimestamp();

        /// <summary>Which line the write took; set once, before it is queued.</summary>
        public bool Express { get; set; }

        public abstract void AddTo(JobWriteBatch batch);

        public abstract void Complete(JobWriteResult result, Offsets at);

        public abstract void Fail(Exception exception);
    }

    private sealed class PendingWrite<T>(QueueKey queue, Action<JobWriteBatch> add, Func<JobWriteResult, Offsets, T> take) : PendingWrite(queue)
    {
        private readonly TaskCompletionSource<T> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<T> Task => _done.Task;

        public override void AddTo(JobWriteBatch batch) => add(batch);

        public override void Complete(JobWriteResult result, Offsets at) => _done.TrySetResult(take(result, at));

        public override void Fail(Exception exception) => _done.TrySetException(exception);
    }
}
