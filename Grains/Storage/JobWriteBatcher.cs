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
/// Three lines feed the flushes. A write of fewer than <see cref="OrleansJobsOptions.ParallelWriteMinRows"/>
/// rows from a quiet queue (its writes lately at least <see cref="WritePace.QuietSpacing"/> apart on
/// average, at most one other of them committing and none on the other lines) takes the express
/// line: it commits at once beside whatever is in flight, with the other quiet queues' writes that
/// arrived meanwhile, one express flush at a time. So another tenant's bulk insert or busy drain
/// never holds a quiet queue's enqueue, lease or outcome behind it. A write of that many rows or more
/// (a bulk enqueue, a lease of a large page) takes the bulk line, whose flushes run at most
/// <see cref="OrleansJobsOptions.MaxBulkWritesInFlight"/> at a time: the database spends its CPU on
/// them, so more at once add no throughput and make every other write, the express line's too, wait
/// for its share. Every other write takes the main line: its first flush starts whatever the other
/// lines have in flight, and a further one beside it (up to the store's
/// <see cref="IQueueWriteStore.ConcurrentWrites"/> flushes in all) only when at least that many rows
/// wait, so a busy queue's writes form batches instead of paying one transaction each. A
/// store that writes one transaction at a time has only the main line.
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
    private readonly int _maxBulkFlushes;
    private readonly int _maxFlushes;
    private readonly TimeProvider _time;
    private readonly bool _hasSideLines;
    private readonly ConcurrentQueue<PendingWrite> _main = new();
    private readonly ConcurrentQueue<PendingWrite> _express = new();
    private readonly ConcurrentQueue<PendingWrite> _bulk = new();

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

    /// <summary>Flushes in flight, every line's.</summary>
    private int _inFlight;
    private int _expressInFlight;
    private int _bulkInFlight;
    private int _mainInFlight;

    public JobWriteBatcher(IQueueWriteStore store, IOptions<OrleansJobsOptions> options, JobsMetrics metrics, TimeProvider time, ILogger<JobWriteBatcher> logger)
    {
        _store = store;
        _time = time;
        _metrics = metrics;
        _logger = logger;
        _maxRows = options.Value.MaxWriteBatchRows;
        _parallelMinRows = options.Value.ParallelWriteMinRows;
        _maxBulkFlushes = options.Value.MaxBulkWritesInFlight;
        _maxFlushes = Math.Max(1, store.ConcurrentWrites);
        _hasSideLines = _maxFlushes > 1;
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
            write.Line = !_hasSideLines ? WriteLine.Main
                : rows >= _parallelMinRows ? WriteLine.Bulk
                : writes.Unfinished <= 1 && writes.Batched == 0 && writes.Pace.IsQuiet ? WriteLine.Express
                : WriteLine.Main;
            writes.Unfinished++;
            writes.Batched += write.Line == WriteLine.Express ? 0 : 1;
            writes.LastArrived = now;
            if (++_writesSincePrune >= PruneEvery)
            {
                ForgetQuietQueues(now);
            }
        }

        if (write.Line != WriteLine.Main)
        {
            (write.Line == WriteLine.Express ? _express : _bulk).Enqueue(write);
            _changed.Release();
            return write.Task;
        }

        // Queued before counted, so a flush that sees enough rows finds them all in the line.
        _main.Enqueue(write);
        var before = Interlocked.Add(ref _mainRows, rows) - rows;
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
                StartFlush(_express, WriteLine.Express);
            }
            else if (!_bulk.IsEmpty && Volatile.Read(ref _bulkInFlight) < _maxBulkFlushes && Volatile.Read(ref _inFlight) < _maxFlushes)
            {
                Interlocked.Increment(ref _bulkInFlight);
                StartFlush(_bulk, WriteLine.Bulk);
            }
            else if (!_main.IsEmpty && MayFlushMain())
            {
                StartFlush(_main, WriteLine.Main);
            }
            else if (Volatile.Read(ref _closed) && _express.IsEmpty && _bulk.IsEmpty && _main.IsEmpty && Volatile.Read(ref _inFlight) == 0)
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
    /// The first main-line flush always may, whatever the other lines have in flight; a parallel one
    /// when it has enough rows to be worth a transaction. A small main-line flush in flight is waited
    /// out, so a busy queue's writes keep forming batches. Only the main line's own flushes count:
    /// counting the bulk line's held every small write back while bulk inserts kept coming, for as long
    /// as a flood's enqueue lasted.
    /// </summary>
    private bool MayFlushMain() =>
        Volatile.Read(ref _inFlight) < _maxFlushes
        && (Volatile.Read(ref _mainInFlight) == 0 || Interlocked.Read(ref _mainRows) >= _parallelMinRows);

    private void StartFlush(ConcurrentQueue<PendingWrite> line, WriteLine kind)
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

        if (kind == WriteLine.Main)
        {
            Interlocked.Increment(ref _mainInFlight);
            Interlocked.Add(ref _mainRows, -batch.Count);
        }

        _ = FlushAsync(batch, flush, Stopwatch.GetElapsedTime(flush[0].Write.Arrived), kind);
    }

    private async Task FlushAsync(JobWriteBatch batch, List<(PendingWrite Write, Offsets At)> flush, TimeSpan oldestWaited, WriteLine kind)
    {
        JobWriteResult? result = null;
        Exception? error = null;
        try
        {
            var started = Stopwatch.GetTimestamp();
            result = await _store.WriteAsync(batch, CancellationToken.None);
            _metrics.Committed(kind, batch.Count, Stopwatch.GetElapsedTime(started), oldestWaited);
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
            if (kind == WriteLine.Express)
            {
                Interlocked.Decrement(ref _expressInFlight);
            }
            else if (kind == WriteLine.Bulk)
            {
                Interlocked.Decrement(ref _bulkInFlight);
            }
            else
            {
                Interlocked.Decrement(ref _mainInFlight);
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
                writes.Batched -= write.Line == WriteLine.Express ? 0 : 1;
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
        /// <summary>Its writes waiting or committing on the main or the bulk line.</summary>
        public int Batched;
        public long LastArrived;
        public WritePace Pace;
    }

    private abstract class PendingWrite(QueueKey queue)
    {
        public QueueKey Queue { get; } = queue;

        public long Arrived { get; } = Stopwatch.GetTimestamp();

        /// <summary>Which line the write took; set once, before it is queued.</summary>
        public WriteLine Line { get; set; }

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
