using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Reflection;
using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using OrleansJobs.Diagnostics;
using OrleansJobs.Hosting;
using OrleansJobs.Storage;

namespace OrleansJobs.Tests.Unit;

public sealed class JobWriteBatcherTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private static readonly ServiceProvider Services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private static readonly JobsMetrics Metrics = new(Services.GetRequiredService<IMeterFactory>(), new QueueGauges(), new QueueTally(), Services);
    private static readonly QueueKey Acme = new("acme", "email");
    private static readonly QueueKey Globex = new("globex", "email");
    private static readonly QueueKey Initech = new("initech", "email");
    private readonly JobIdGenerator _ids = new(TimeProvider.System);

    [Fact]
    public async Task Writes_that_arrive_while_a_flush_commits_share_the_next_flush()
    {
        var store = GatedStore.Create(concurrentWrites: 8);
        await using var batcher = Batcher(store, parallelMinRows: 100);

        try
        {
            // Of a burst, the first two writes still count as a trickle's and take the express line, one
            // flush at a time; the third is the busy queue's, and the main line's first flush takes it beside them.
            var express = batcher.InsertAsync(Acme, Jobs(1));
            var expressFlush = await store.NextCallAsync();
            var nextExpress = batcher.InsertAsync(Acme, Jobs(1));
            var main = batcher.InsertAsync(Acme, Jobs(1));
            var mainFlush = await store.NextCallAsync();
            Assert.Equal([1, 1], store.BatchSizes);

            // A small main-line flush is waited out however long it commits: that is what forms batches.
            var later = Enumerable.Range(0, 10).Select(_ => batcher.InsertAsync(Acme, Jobs(1))).ToArray();
            expressFlush.Release();
            (await store.NextCallAsync()).Release();
            await Task.WhenAll(express, nextExpress).WaitAsync(Patience);
            Assert.All(later, write => Assert.False(write.IsCompleted));

            mainFlush.Release();
            (await store.NextCallAsync()).Release();
            await Task.WhenAll(later.Append(main)).WaitAsync(Patience);
        }
        finally
        {
            store.Open();
        }

        Assert.Equal([1, 1, 1, 10], store.BatchSizes);
        Assert.Equal(2, store.MostInFlight);
    }

    [Fact]
    public async Task A_parallel_flush_starts_once_enough_rows_wait()
    {
        var store = GatedStore.Create(concurrentWrites: 8);
        await using var batcher = Batcher(store, parallelMinRows: 100);
        Task express, main;
        Task<InsertOutcome[]>[] burst;
        try
        {
            (express, main) = await BusyQueueWithAMainFlushInFlightAsync(store, batcher);

            // A burst of single writes waits on the main line until there are enough of them for a
            // transaction of their own; that one starts while the first still holds its transaction open.
            burst = [.. Enumerable.Range(0, 100).Select(_ => batcher.InsertAsync(Acme, Jobs(1)))];
            await store.NextCallAsync();
            Assert.Equal(3, store.MostInFlight);
            Assert.Equal([1, 1, 100], store.BatchSizes);
        }
        finally
        {
            store.Open();
        }

        var outcomes = await Task.WhenAll(burst).WaitAsync(Patience);
        Assert.All(outcomes, outcome => Assert.True(Assert.Single(outcome).Created));
        await Task.WhenAll(express, main).WaitAsync(Patience);
    }

    [Fact]
    public async Task A_bulk_write_commits_beside_the_flush_in_flight()
    {
        var store = GatedStore.Create(concurrentWrites: 8);
        await using var batcher = Batcher(store, parallelMinRows: 100);

        var first = batcher.InsertAsync(Acme, Jobs(1));
        var firstFlush = await store.NextCallAsync();
        var bulk = batcher.InsertAsync(Acme, Jobs(100));

        var secondFlush = await store.NextCallAsync();
        Assert.Equal(2, store.MostInFlight);
        secondFlush.Release();
        firstFlush.Release();

        var ids = await bulk.WaitAsync(Patience);
        Assert.Equal(100, ids.Length);
        Assert.All(ids, outcome => Assert.True(outcome.Created));
        await first.WaitAsync(Patience);
    }

    [Fact]
    public async Task A_quiet_queues_write_commits_beside_another_queues_bulk_insert()
    {
        var store = GatedStore.Create(concurrentWrites: 8);
        await using var batcher = Batcher(store, parallelMinRows: 100);

        var bulk = batcher.InsertAsync(Acme, Jobs(1000));
        var bulkFlush = await store.NextCallAsync();
        try
        {
            var quiet = batcher.InsertAsync(Globex, Jobs(1));
            (await store.NextCallAsync()).Release();
            Assert.True(Assert.Single(await quiet.WaitAsync(Patience)).Created);
            Assert.False(bulk.IsCompleted);
        }
        finally
        {
            bulkFlush.Release();
            store.Open();
        }

        await bulk.WaitAsync(Patience);
        Assert.Equal([1000, 1], store.BatchSizes);
    }

    [Fact]
    public async Task A_busy_queues_small_writes_batch_behind_their_own_line_not_behind_its_bulk_insert()
    {
        var store = GatedStore.Create(concurrentWrites: 8);
        await using var batcher = Batcher(store, parallelMinRows: 100);

        var bulk = batcher.InsertAsync(Acme, Jobs(1000));
        var bulkFlush = await store.NextCallAsync();
        try
        {
            // Acme has a write committing, so its next one takes the main line, whose first flush
            // starts beside the bulk insert; Globex's takes the express line.
            var busy = batcher.InsertAsync(Acme, Jobs(1));
            var busyFlush = await store.NextCallAsync();
            var quiet = batcher.InsertAsync(Globex, Jobs(2));
            (await store.NextCallAsync()).Release();
            await quiet.WaitAsync(Patience);

            // Acme's writes after it wait for that flush and share the next.
            var waiting = new[] { batcher.InsertAsync(Acme, Jobs(1)), batcher.InsertAsync(Acme, Jobs(1)) };
            Assert.Equal([1000, 1, 2], store.BatchSizes);
            busyFlush.Release();
            (await store.NextCallAsync()).Release();
            await Task.WhenAll(waiting.Append(busy)).WaitAsync(Patience);
            Assert.False(bulk.IsCompleted);
        }
        finally
        {
            bulkFlush.Release();
            store.Open();
        }

        await bulk.WaitAsync(Patience);
        Assert.Equal([1000, 1, 2, 2], store.BatchSizes);
    }

    [Fact]
    public async Task A_busy_queues_small_write_is_not_held_while_bulk_inserts_keep_coming()
    {
        var store = GatedStore.Create(concurrentWrites: 8);
        await using var batcher = Batcher(store, parallelMinRows: 100);

        // A flood's enqueue: one bulk insert commits and the next waits for the bulk line. The queue's
        // lease (or a trickle's outcome that found its queue busy) used to wait until the bulk line was
        // empty, which was when the flood's enqueue ended.
        var first = batcher.InsertAsync(Acme, Jobs(1000));
        var firstFlush = await store.NextCallAsync();
        var second = batcher.InsertAsync(Acme, Jobs(1000));
        try
        {
            var small = batcher.CompleteAsync(Acme, new Completion(_ids.Next(), 1, DateTimeOffset.UtcNow));
            (await store.NextCallAsync()).Release();
            Assert.True(await small.WaitAsync(Patience));
            Assert.False(first.IsCompleted);
            Assert.Equal([1000, 1], store.BatchSizes);
        }
        finally
        {
            firstFlush.Release();
            store.Open();
        }

        await Task.WhenAll(first, second).WaitAsync(Patience);
        Assert.Equal([1000, 1, 1000], store.BatchSizes);
    }

    [Fact]
    public async Task A_quiet_queues_outcome_moments_after_its_insert_still_goes_ahead_of_a_bulk_insert()
    {
        var clock = new FakeTimeProvider();
        var store = GatedStore.Create(concurrentWrites: 8);
        await using var batcher = Batcher(store, parallelMinRows: 100, clock: clock);

        // A trickle: Globex's insert commits, and its outcome follows 3 ms later, while Acme's bulk insert commits.
        var insert = batcher.InsertAsync(Globex, Jobs(1));
        (await store.NextCallAsync()).Release();
        await insert.WaitAsync(Patience);

        var bulk = batcher.InsertAsync(Acme, Jobs(1000));
        var bulkFlush = await store.NextCallAsync();
        try
        {
            clock.Advance(TimeSpan.FromMilliseconds(3));
            var outcome = batcher.InsertAsync(Globex, Jobs(1));
            (await store.NextCallAsync()).Release();
            await outcome.WaitAsync(Patience);
            Assert.False(bulk.IsCompleted);
        }
        finally
        {
            bulkFlush.Release();
            store.Open();
        }

        await bulk.WaitAsync(Patience);
        Assert.Equal([1, 1000, 1], store.BatchSizes);
    }

    [Fact]
    public async Task A_queue_writing_every_millisecond_is_busy_until_it_has_been_quiet_a_while()
    {
        var clock = new FakeTimeProvider();
        var store = GatedStore.Create(concurrentWrites: 8);
        await using var batcher = Batcher(store, parallelMinRows: 100, clock: clock);

        // Globex writes every millisecond, as a drain does, each write committing alone while it still counts as quiet.
        var pace = WritePace.Fresh;
        var expressWrites = 0;
        while (pace.IsQuiet)
        {
            var write = batcher.InsertAsync(Globex, Jobs(1));
            (await store.NextCallAsync()).Release();
            await write.WaitAsync(Patience);
            expressWrites++;
            clock.Advance(TimeSpan.FromMilliseconds(1));
            pace.Arrived(TimeSpan.FromMilliseconds(1));
        }

        // A main-line flush in flight is what tells the lines apart: a busy queue's small write waits it
        // out, a quiet queue's goes ahead on the express line.
        try
        {
            var (acme, acmeFlush) = await AMainLineFlushHeldOpenAsync(store, batcher);
            var busy = batcher.InsertAsync(Globex, Jobs(1));
            var quiet = batcher.InsertAsync(Initech, Jobs(1));
            (await store.NextCallAsync()).Release();
            await quiet.WaitAsync(Patience);
            Assert.False(busy.IsCompleted);

            acmeFlush.Release();
            (await store.NextCallAsync()).Release();
            await Task.WhenAll(acme, busy).WaitAsync(Patience);

            // Silent for a while, Globex takes the express line again.
            clock.Advance(WritePace.Settled);
            (acme, acmeFlush) = await AMainLineFlushHeldOpenAsync(store, batcher);
            var later = batcher.InsertAsync(Globex, Jobs(1));
            (await store.NextCallAsync()).Release();
            await later.WaitAsync(Patience);
            Assert.False(acme.IsCompleted);
            acmeFlush.Release();
            await acme.WaitAsync(Patience);
        }
        finally
        {
            store.Open();
        }

        Assert.Equal([.. Enumerable.Repeat(1, expressWrites), .. AMainLineFlushHeldOpen, 1, 1, .. AMainLineFlushHeldOpen, 1], store.BatchSizes);
    }

    [Fact]
    public async Task Quiet_queues_share_one_express_flush_at_a_time()
    {
        var store = GatedStore.Create(concurrentWrites: 8);
        await using var batcher = Batcher(store, parallelMinRows: 100);

        var first = batcher.InsertAsync(Acme, Jobs(1));
        var firstFlush = await store.NextCallAsync();
        var others = new[] { batcher.InsertAsync(Globex, Jobs(1)), batcher.InsertAsync(Initech, Jobs(1)) };
        firstFlush.Release();
        (await store.NextCallAsync()).Release();
        await Task.WhenAll(others.Append(first)).WaitAsync(Patience);

        Assert.Equal([1, 2], store.BatchSizes);
        Assert.Equal(1, store.MostInFlight);
    }

    [Fact]
    public async Task A_store_that_writes_one_transaction_at_a_time_has_no_express_line()
    {
        var store = GatedStore.Create(concurrentWrites: 1);
        await using var batcher = Batcher(store, parallelMinRows: 100);

        var bulk = batcher.InsertAsync(Acme, Jobs(1000));
        var bulkFlush = await store.NextCallAsync();
        var quiet = batcher.InsertAsync(Globex, Jobs(1));
        bulkFlush.Release();
        (await store.NextCallAsync()).Release();
        await Task.WhenAll(bulk, quiet).WaitAsync(Patience);

        Assert.Equal([1000, 1], store.BatchSizes);
        Assert.Equal(1, store.MostInFlight);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task Bulk_writes_commit_beside_each_other_only_as_many_at_once_as_allowed(int maxBulkFlushes)
    {
        var store = GatedStore.Create(concurrentWrites: 8);
        await using var batcher = Batcher(store, parallelMinRows: 100, maxBulkFlushes: maxBulkFlushes);

        var first = batcher.InsertAsync(Acme, Jobs(1000));
        var firstFlush = await store.NextCallAsync();
        var second = batcher.InsertAsync(Globex, Jobs(1000));
        if (maxBulkFlushes > 1)
        {
            var secondFlush = await store.NextCallAsync();
            Assert.Equal(2, store.MostInFlight);
            secondFlush.Release();
            firstFlush.Release();
            await Task.WhenAll(first, second).WaitAsync(Patience);
            Assert.Equal([1000, 1000], store.BatchSizes);
            return;
        }

        // The second bulk insert waits for the first; a quiet queue's write does not.
        var quiet = batcher.InsertAsync(Initech, Jobs(1));
        (await store.NextCallAsync()).Release();
        await quiet.WaitAsync(Patience);
        Assert.Equal([1000, 1], store.BatchSizes);
        Assert.False(second.IsCompleted);

        firstFlush.Release();
        (await store.NextCallAsync()).Release();
        await Task.WhenAll(first, second).WaitAsync(Patience);
        Assert.Equal([1000, 1, 1000], store.BatchSizes);
    }

    [Fact]
    public async Task Each_commit_is_measured_under_its_line()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meters = services.GetRequiredService<IMeterFactory>();
        var rows = new ConcurrentQueue<(long Rows, string? Line)>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Scope == meters && instrument.Name == "orleansjobs.store.commit.rows")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) => rows.Enqueue((value, tags.ToArray().Single(t => t.Key == "line").Value as string)));
        listener.Start();
        var store = GatedStore.Create(concurrentWrites: 8);
        await using var batcher = new JobWriteBatcher(store, Options.Create(new OrleansJobsOptions()),
            new JobsMetrics(meters, new QueueGauges(), new QueueTally(), services), new FakeTimeProvider(), NullLogger<JobWriteBatcher>.Instance);

        store.Open();
        await batcher.InsertAsync(Acme, Jobs(1000)).WaitAsync(Patience);
        await batcher.InsertAsync(Globex, Jobs(1)).WaitAsync(Patience);

        Assert.Equal([(1000, "bulk"), (1, "express")], rows);
    }

    [Fact]
    public async Task Never_more_flushes_in_flight_than_the_store_allows()
    {
        var store = GatedStore.Create(concurrentWrites: 2);
        await using var batcher = Batcher(store, parallelMinRows: 10, maxRows: 10, maxBulkFlushes: 8);

        var writes = Enumerable.Range(0, 6).Select(_ => batcher.InsertAsync(Acme, Jobs(10))).ToArray();
        for (var i = 0; i < writes.Length; i++)
        {
            (await store.NextCallAsync()).Release();
        }

        await Task.WhenAll(writes).WaitAsync(Patience);
        Assert.Equal(2, store.MostInFlight);
        Assert.Equal(Enumerable.Repeat(10, 6), store.BatchSizes);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(8)]
    public async Task A_failed_flush_fails_its_callers_and_the_next_flush_still_commits(int concurrentWrites)
    {
        var store = GatedStore.Create(concurrentWrites);
        await using var batcher = Batcher(store, parallelMinRows: 100);

        var doomed = batcher.InsertAsync(Acme, Jobs(3));
        (await store.NextCallAsync()).Fail(new TimeoutException("store down"));
        var error = await Assert.ThrowsAsync<TimeoutException>(() => doomed.WaitAsync(Patience));
        Assert.Equal("store down", error.Message);

        var next = batcher.CompleteAsync(Acme, new Completion(_ids.Next(), 1, DateTimeOffset.UtcNow));
        (await store.NextCallAsync()).Release();
        Assert.True(await next.WaitAsync(Patience));
    }

    /// <summary>
    /// Acme's express write and the main-line flush of its next writes, both held open: a busy queue
    /// with a small main-line flush in flight.
    /// </summary>
    private async Task<(Task Express, Task Main)> BusyQueueWithAMainFlushInFlightAsync(GatedStore store, JobWriteBatcher batcher)
    {
        var express = batcher.InsertAsync(Acme, Jobs(1));
        await store.NextCallAsync();
        var nextExpress = batcher.InsertAsync(Acme, Jobs(1));
        var main = batcher.InsertAsync(Acme, Jobs(1));
        await store.NextCallAsync();
        Assert.Equal([1, 1], store.BatchSizes);
        return (Task.WhenAll(express, nextExpress), main);
    }

    /// <summary>The flushes <see cref="AMainLineFlushHeldOpenAsync"/> makes, in order.</summary>
    private static readonly int[] AMainLineFlushHeldOpen = [1, 1, 1];

    /// <summary>
    /// A burst of three writes from Acme: the first two take the express line and commit, the third
    /// takes the main line, whose flush the test holds open until it releases the flush returned.
    /// </summary>
    private async Task<(Task Writes, PendingFlush MainFlush)> AMainLineFlushHeldOpenAsync(GatedStore store, JobWriteBatcher batcher)
    {
        var express = batcher.InsertAsync(Acme, Jobs(1));
        var expressFlush = await store.NextCallAsync();
        var nextExpress = batcher.InsertAsync(Acme, Jobs(1));
        var main = batcher.InsertAsync(Acme, Jobs(1));
        var mainFlush = await store.NextCallAsync();
        expressFlush.Release();
        (await store.NextCallAsync()).Release();
        await Task.WhenAll(express, nextExpress).WaitAsync(Patience);
        return (Task.WhenAll(express, nextExpress, main), mainFlush);
    }

    /// <summary>A batcher on a clock that stands still unless <paramref name="clock"/> is given and moved.</summary>
    private static JobWriteBatcher Batcher(GatedStore store, int parallelMinRows, int maxRows = 1000, FakeTimeProvider? clock = null, int maxBulkFlushes = 1) =>
        new(store, Options.Create(new OrleansJobsOptions { ParallelWriteMinRows = parallelMinRows, MaxWriteBatchRows = maxRows, MaxBulkWritesInFlight = maxBulkFlushes }),
            Metrics, clock ?? new FakeTimeProvider(), NullLogger<JobWriteBatcher>.Instance);

    private NewJob[] Jobs(int count)
    {
        var now = DateTimeOffset.UtcNow;
        return Enumerable.Range(0, count)
            .Select(_ => new NewJob(_ids.Next(), new QueueKey("acme", "email"), [], JobPriority.Normal, now, now, 3, TimeSpan.FromMinutes(1), null, null))
            .ToArray();
    }

    /// <summary>A store whose every write waits until the test releases or fails it.</summary>
    private sealed class GatedStore : IQueueWriteStore
    {
        private readonly Channel<PendingFlush> _calls = Channel.CreateUnbounded<PendingFlush>();
        private readonly ConcurrentQueue<int> _sizes = new();
        private int _inFlight;
        private int _mostInFlight;
        private readonly ConcurrentQueue<PendingFlush> _all = new();
        private volatile bool _open;

        private GatedStore(int concurrentWrites) => ConcurrentWrites = concurrentWrites;

        public int ConcurrentWrites { get; }

        public IReadOnlyList<int> BatchSizes => [.. _sizes];

        public int MostInFlight => Volatile.Read(ref _mostInFlight);

        public static GatedStore Create(int concurrentWrites) => new(concurrentWrites);

        /// <summary>
        /// The next write the batcher started, in the order they started. Waiting in vain opens the store,
        /// so a failing test's batcher can still be disposed instead of hanging the run on a flush it holds.
        /// </summary>
        public async Task<PendingFlush> NextCallAsync()
        {
            try
            {
                return await _calls.Reader.ReadAsync().AsTask().WaitAsync(Patience);
            }
            catch (TimeoutException)
            {
                Open();
                throw;
            }
        }

        /// <summary>
        /// Lets every write through from now on, those waiting too (even one a timed-out
        /// <see cref="NextCallAsync"/> took off the line): a failing test's cleanup, so the batcher can be disposed.
        /// </summary>
        public void Open()
        {
            _open = true;
            foreach (var flush in _all)
            {
                flush.Release();
            }
        }

        public Task<JobWriteResult> WriteAsync(JobWriteBatch batch, CancellationToken cancellationToken) => WriteAsync(batch);

        public Task SetQueuePolicyAsync(QueueKey queue, QueuePolicy policy, DateTimeOffset now, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task SetQueuePausedAsync(QueueKey queue, DateTimeOffset? pausedAt, DateTimeOffset now, CancellationToken cancellationToken) => throw new NotSupportedException();

        private async Task<JobWriteResult> WriteAsync(JobWriteBatch batch)
        {
            var inFlight = Interlocked.Increment(ref _inFlight);
            int most;
            while ((most = Volatile.Read(ref _mostInFlight)) < inFlight && Interlocked.CompareExchange(ref _mostInFlight, inFlight, most) != most)
            {
            }

            _sizes.Enqueue(batch.Count);
            var flush = new PendingFlush();
            _all.Enqueue(flush);
            _calls.Writer.TryWrite(flush);
            if (_open)
            {
                Open();
            }

            try
            {
                await flush.Gate;
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }

            return new JobWriteResult
            {
                Inserts = [.. batch.Inserts.Select(j => new InsertOutcome(j.Id, Created: true))],
                Leases = new LeasedJob?[batch.Leases.Count],
                Completions = [.. batch.Completions.Select(_ => true)],
                Retries = [.. batch.Retries.Select(_ => true)],
                Snoozes = [.. batch.Snoozes.Select(_ => true)],
                DeadLetters = [.. batch.DeadLetters.Select(_ => true)],
                Cancellations = [.. batch.Cancellations.Select(_ => true)],
                Promotions = [.. batch.Promotions.Select(_ => new DuePromotion([], null))],
                Requeues = new int[batch.Requeues.Count],
                Sheds = [.. batch.Sheds.Select(_ => (IReadOnlyList<JobId>)[])],
                Agings = [.. batch.Agings.Select(_ => (IReadOnlyList<ReadyJob>)[])],
                Cancels = new bool[batch.Cancels.Count],
            };
        }
    }

    /// <summary>A write held open by <see cref="GatedStore"/>.</summary>
    public sealed class PendingFlush
    {
        private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Gate => _gate.Task;

        public void Release() => _gate.TrySetResult();

        public void Fail(Exception error) => _gate.TrySetException(error);
    }
}
