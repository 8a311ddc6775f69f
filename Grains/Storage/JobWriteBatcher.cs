using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansJobs.Diagnostics;
using OrleansJobs.Hosting;

namespace OrleansJobs.Storage;

/// <summary>
/// Group commit, the one writer of the silo's jobs: every queue on the silo hands every write to its
/// jobs here (inserts, leases, outcomes, due promotions, sweeps, sheds, cancels), and each flush
/// applies whatever has gathered as one transaction, so a thousand concurrent enqueues cost one
/// commit, not a thousand. There is no timer: while one flush commits, the next batch fills. A
/// further flush runs beside the one in flight (up to the store's
/// <see cref="IQueueWriteStore.ConcurrentWrites"/>) when at least
/// <see cref="OrleansJobsOptions.ParallelWriteMinRows"/> rows wait, so moderate load forms batches
/// instead of paying one transaction per write. Fewer wait for the flush in flight; with
/// <see cref="OrleansJobsOptions.ParallelWriteAfter"/> set, not out a big one (that many rows or
/// more) once it has been committing that long, so another tenant's bulk insert does not hold a
/// quiet queue's write behind it.
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
    private readonly TimeSpan? _parallelAfter;
    private readonly int _maxFlushes;
    private readonly TimeProvider _time;
    private readonly Channel<PendingWrite> _pending = Channel.CreateUnbounded<PendingWrite>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>Released when a flush ends or enough rows wait for a parallel flush; spurious releases only cost a re-check.</summary>
    private readonly SemaphoreSlim _changed = new(0);
    private readonly Task _dispatcher;
    private long _pendingRows;
    private int _inFlight;

    /// <summary>When each big flush in flight started (one of at least <see cref="_parallelMinRows"/> rows); few, so a list under its own lock.</summary>
    private readonly List<long> _bigFlushesSince = [];

    public JobWriteBatcher(IQueueWriteStore store, IOptions<OrleansJobsOptions> options, JobsMetrics metrics, TimeProvider time, ILogger<JobWriteBatcher> logger)
    {
        _store = store;
        _time = time;
        _metrics = metrics;
        _logger = logger;
        _maxRows = options.Value.MaxWriteBatchRows;
        _parallelMinRows = options.Value.ParallelWriteMinRows;
        _parallelAfter = options.Value.ParallelWriteAfter;
        _maxFlushes = Math.Max(1, store.ConcurrentWrites);
        _dispatcher = Task.Run(DispatchAsync);
    }

    public Task<InsertOutcome[]> InsertAsync(IReadOnlyList<NewJob> jobs) => Enqueue<InsertOutcome[]>(jobs.Count, b => b.Inserts.AddRange(jobs), (r, start) => r.Inserts.AsSpan(start.Inserts, jobs.Count).ToArray());

    public Task<LeasedJob?[]> LeaseAsync(IReadOnlyList<LeaseRequest> leases) => Enqueue<LeasedJob?[]>(leases.Count, b => b.Leases.AddRange(leases), (r, start) => r.Leases.AsSpan(start.Leases, leases.Count).ToArray());

    public Task<bool> CompleteAsync(Completion completion) => Enqueue<bool>(1, b => b.Completions.Add(completion), (r, start) => r.Completions[start.Completions]);

    public Task<bool> RetryAsync(Retry retry) => Enqueue<bool>(1, b => b.Retries.Add(retry), (r, start) => r.Retries[start.Retries]);

    public Task<bool> CancelRunningAsync(CancelledRun cancelled) => Enqueue<bool>(1, b => b.Cancellations.Add(cancelled), (r, start) => r.Cancellations[start.Cancellations]);

    public Task<bool> DeadLetterAsync(DeadLetter deadLetter) => Enqueue<bool>(1, b => b.DeadLetters.Add(deadLetter), (r, start) => r.DeadLetters[start.DeadLetters]);

    public Task<DuePromotion> PromoteDueAsync(DuePromotionRequest promotion) => Enqueue<DuePromotion>(1, b => b.Promotions.Add(promotion), (r, start) => r.Promotions[start.Promotions]);

    public Task<int> RequeueAsync(ActiveRequeue requeue) => Enqueue<int>(1, b => b.Requeues.Add(requeue), (r, start) => r.Requeues[start.Requeues]);

    public Task<IReadOnlyList<JobId>> ShedAsync(ShedRequest shed) => Enqueue<IReadOnlyList<JobId>>(1, b => b.Sheds.Add(shed), (r, start) => r.Sheds[start.Sheds]);

    public Task<bool> CancelAsync(WaitingCancel cancel) => Enqueue<bool>(1, b => b.Cancels.Add(cancel), (r, start) => r.Cancels[start.Cancels]);

    private Task<T> Enqueue<T>(int rows, Action<JobWriteBatch> add, Func<JobWriteResult, Offsets, T> take)
    {
        var write = new PendingWrite<T>(add, take);
        var before = Interlocked.Add(ref _pendingRows, rows) - rows;
        if (!_pending.Writer.TryWrite(write))
        {
            Interlocked.Add(ref _pendingRows, -rows);
            throw new ObjectDisposedException(nameof(JobWriteBatcher));
        }

        if (before < _parallelMinRows && before + rows >= _parallelMinRows)
        {
            _changed.Release();
        }

        return write.Task;
    }

    private async Task DispatchAsync()
    {
        var reader = _pending.Reader;
        while (await reader.WaitToReadAsync())
        {
            while (!MayFlush(out var recheckIn))
            {
                await WaitForChangeAsync(recheckIn);
            }

            var batch = new JobWriteBatch();
            var flush = new List<(PendingWrite Write, Offsets At)>();
            // A caller's rows are never split across flushes, so one bulk insert is one transaction.
            while (batch.Count < _maxRows && reader.TryRead(out var write))
            {
                flush.Add((write, Offsets.Of(batch)));
                write.AddTo(batch);
            }

            Interlocked.Add(ref _pendingRows, -batch.Count);
            Interlocked.Increment(ref _inFlight);
            long? bigSince = null;
            if (_parallelAfter is not null && batch.Count >= _parallelMinRows)
            {
                bigSince = _time.GetTimestamp();
                lock (_bigFlushesSince)
                {
                    _bigFlushesSince.Add(bigSince.Value);
                }
            }

            _ = FlushAsync(batch, flush, Stopwatch.GetElapsedTime(flush[0].Write.Arrived), bigSince);
        }

        while (Volatile.Read(ref _inFlight) > 0)
        {
            await _changed.WaitAsync();
        }
    }

    /// <summary>
    /// The first flush always may; a parallel one when it has enough rows to be worth a transaction,
    /// or once a big flush in flight has been committing for <see cref="OrleansJobsOptions.ParallelWriteAfter"/>
    /// (<paramref name="recheckIn"/> says how soon it will have). A small flush in flight is waited
    /// out, so moderate load keeps forming batches.
    /// </summary>
    private bool MayFlush(out TimeSpan recheckIn)
    {
        recheckIn = Timeout.InfiniteTimeSpan;
        var inFlight = Volatile.Read(ref _inFlight);
        if (inFlight == 0)
        {
            return true;
        }

        if (inFlight >= _maxFlushes)
        {
            return false;
        }

        if (Interlocked.Read(ref _pendingRows) >= _parallelMinRows)
        {
            return true;
        }

        // A few rows do not wait out a big flush (a bulk insert) that has been committing a while.
        long oldestBig;
        lock (_bigFlushesSince)
        {
            if (_bigFlushesSince.Count == 0)
            {
                return false;
            }

            oldestBig = _bigFlushesSince.Min();
        }

        var committingFor = _time.GetElapsedTime(oldestBig);
        if (committingFor >= _parallelAfter!.Value)
        {
            return true;
        }

        recheckIn = _parallelAfter.Value - committingFor;
        return false;
    }

    /// <summary>Until a flush ends, enough rows wait, or <paramref name="timeout"/> passes.</summary>
    private async Task WaitForChangeAsync(TimeSpan timeout)
    {
        if (timeout == Timeout.InfiniteTimeSpan)
        {
            await _changed.WaitAsync();
            return;
        }

        using var deadline = new CancellationTokenSource(timeout, _time);
        try
        {
            await _changed.WaitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task FlushAsync(JobWriteBatch batch, List<(PendingWrite Write, Offsets At)> flush, TimeSpan oldestWaited, long? bigSince)
    {
        try
        {
            var started = Stopwatch.GetTimestamp();
            var result = await _store.WriteAsync(batch, CancellationToken.None);
            _metrics.Committed(batch.Count, Stopwatch.GetElapsedTime(started), oldestWaited);
            foreach (var (write, at) in flush)
            {
                write.Complete(result, at);
            }
        }
        catch (Exception ex)
        {
            LogFlushFailed(ex, batch.Count);
            foreach (var (write, _) in flush)
            {
                write.Fail(ex);
            }
        }
        finally
        {
            if (bigSince is { } since)
            {
                lock (_bigFlushesSince)
                {
                    _bigFlushesSince.Remove(since);
                }
            }

            Interlocked.Decrement(ref _inFlight);
            _changed.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _pending.Writer.TryComplete();
        await _dispatcher;
    }

    // Debug: every caller gets the error and reports it through the silo's outage log, once per outage.
    [LoggerMessage(EventId = (int)Diagnostics.LogEvents.GroupCommitFailed, Level = LogLevel.Debug, Message = "Group commit of {Rows} rows failed; every caller in it gets the error")]
    private partial void LogFlushFailed(Exception exception, int rows);

    /// <summary>Where a caller's rows start in each list of the batch.</summary>
    private readonly record struct Offsets(
        int Inserts, int Leases, int Completions, int Retries, int DeadLetters, int Cancellations, int Promotions, int Requeues, int Sheds, int Cancels)
    {
        public static Offsets Of(JobWriteBatch b) => new(
            b.Inserts.Count, b.Leases.Count, b.Completions.Count, b.Retries.Count, b.DeadLetters.Count, b.Cancellations.Count,
            b.Promotions.Count, b.Requeues.Count, b.Sheds.Count, b.Cancels.Count);
    }

    private abstract class PendingWrite
    {
        public long Arrived { get; } = Stopwatch.GetTimestamp();

        public abstract void AddTo(JobWriteBatch batch);

        public abstract void Complete(JobWriteResult result, Offsets at);

        public abstract void Fail(Exception exception);
    }

    private sealed class PendingWrite<T>(Action<JobWriteBatch> add, Func<JobWriteResult, Offsets, T> take) : PendingWrite
    {
        private readonly TaskCompletionSource<T> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<T> Task => _done.Task;

        public override void AddTo(JobWriteBatch batch) => add(batch);

        public override void Complete(JobWriteResult result, Offsets at) => _done.TrySetResult(take(result, at));

        public override void Fail(Exception exception) => _done.TrySetException(exception);
    }
}
