using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansJobs.Hosting;

namespace OrleansJobs.Storage;

/// <summary>
/// Group commit: every queue on the silo hands its writes here, and a few loops (the store's
/// <see cref="IJobStore.ConcurrentWrites"/>) each apply whatever has gathered as one transaction,
/// so a thousand concurrent enqueues cost one commit, not a thousand. There is no timer: while
/// one flush commits, the next batch fills. Each caller's task completes only when its own write
/// has committed, and fails when the flush fails, so nothing is acknowledged that is not durable.
/// Callers send a write only after the writes it depends on have committed, so flushes in
/// parallel never reorder one job's writes.
/// </summary>
internal sealed partial class JobWriteBatcher : IAsyncDisposable
{
    private readonly IJobStore _store;
    private readonly ILogger<JobWriteBatcher> _logger;
    private readonly int _maxRows;
    private readonly Channel<PendingWrite> _pending = Channel.CreateUnbounded<PendingWrite>();
    private readonly Task _loops;

    public JobWriteBatcher(IJobStore store, IOptions<OrleansJobsOptions> options, ILogger<JobWriteBatcher> logger)
    {
        _store = store;
        _logger = logger;
        _maxRows = options.Value.MaxWriteBatchRows;
        _loops = Task.WhenAll(Enumerable.Range(0, Math.Max(1, store.ConcurrentWrites)).Select(_ => Task.Run(RunAsync)));
    }

    public Task<InsertOutcome[]> InsertAsync(IReadOnlyList<NewJob> jobs) => Enqueue<InsertOutcome[]>(b => b.Inserts.AddRange(jobs), (r, start) => r.Inserts.AsSpan(start.Inserts, jobs.Count).ToArray());

    public Task<LeasedJob?[]> LeaseAsync(IReadOnlyList<LeaseRequest> leases) => Enqueue<LeasedJob?[]>(b => b.Leases.AddRange(leases), (r, start) => r.Leases.AsSpan(start.Leases, leases.Count).ToArray());

    public Task<bool> CompleteAsync(Completion completion) => Enqueue<bool>(b => b.Completions.Add(completion), (r, start) => r.Completions[start.Completions]);

    public Task<bool> RetryAsync(Retry retry) => Enqueue<bool>(b => b.Retries.Add(retry), (r, start) => r.Retries[start.Retries]);

    public Task<bool> CancelRunningAsync(CancelledRun cancelled) => Enqueue<bool>(b => b.Cancellations.Add(cancelled), (r, start) => r.Cancellations[start.Cancellations]);

    public Task<bool> DeadLetterAsync(DeadLetter deadLetter) => Enqueue<bool>(b => b.DeadLetters.Add(deadLetter), (r, start) => r.DeadLetters[start.DeadLetters]);

    private Task<T> Enqueue<T>(Action<JobWriteBatch> add, Func<JobWriteResult, Offsets, T> take)
    {
        var write = new PendingWrite<T>(add, take);
        if (!_pending.Writer.TryWrite(write))
        {
            throw new ObjectDisposedException(nameof(JobWriteBatcher));
        }

        return write.Task;
    }

    private async Task RunAsync()
    {
        var reader = _pending.Reader;
        var flush = new List<(PendingWrite Write, Offsets At)>();
        while (await reader.WaitToReadAsync())
        {
            var batch = new JobWriteBatch();
            flush.Clear();
            // A caller's rows are never split across flushes, so one bulk insert is one transaction.
            while (batch.Count < _maxRows && reader.TryRead(out var write))
            {
                flush.Add((write, Offsets.Of(batch)));
                write.AddTo(batch);
            }

            try
            {
                var result = await _store.WriteAsync(batch, CancellationToken.None);
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
        }
    }

    public async ValueTask DisposeAsync()
    {
        _pending.Writer.TryComplete();
        await _loops;
    }

    [LoggerMessage(EventId = (int)Diagnostics.LogEvents.GroupCommitFailed, Level = LogLevel.Error, Message = "Group commit of {Rows} rows failed; every caller in it gets the error")]
    private partial void LogFlushFailed(Exception exception, int rows);

    /// <summary>Where a caller's rows start in each list of the batch.</summary>
    private readonly record struct Offsets(int Inserts, int Leases, int Completions, int Retries, int DeadLetters, int Cancellations)
    {
        public static Offsets Of(JobWriteBatch b) => new(b.Inserts.Count, b.Leases.Count, b.Completions.Count, b.Retries.Count, b.DeadLetters.Count, b.Cancellations.Count);
    }

    private abstract class PendingWrite
    {
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
