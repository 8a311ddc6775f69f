using Microsoft.Extensions.Options;
using OrleansJobs.Hosting;

namespace OrleansJobs.Execution;

/// <summary>
/// The silo's room for attempts: how many its queues may hold leased at once. A queue takes a unit
/// before it leases a job and gives it back when the attempt's handler ends, so jobs are leased only
/// when they can start soon, instead of every queue leasing its whole concurrency budget to wait in
/// the worker line. The room is the silo's worker slots, <see cref="OrleansJobsOptions.LeaseAhead"/>
/// more (so slots do not idle while leases are written), and the free slots other silos last reported.
/// <para>
/// When it is full, queues wait in line: freed units go round the waiting queues from the one that
/// waited longest, a tenant of weight w taking up to w units a round
/// (<see cref="OrleansJobsOptions.TenantWeights"/>, rounded), and a queue served that wants more
/// takes its place at the back again. A queue with a million jobs gets the same turns as a queue
/// with one. Thread-safe; grants complete their waits outside the lock.
/// </para>
/// </summary>
internal sealed class WorkerRoom
{
    /// <summary>How long a reading of other silos' free slots is used before it is taken again: room is asked for twice per job.</summary>
    private static readonly TimeSpan RemoteReadingAge = TimeSpan.FromMilliseconds(5);

    private readonly Lock _lock = new();
    private readonly LinkedList<QueueRoom> _waiting = [];
    private readonly Func<int> _capacity;
    private readonly IDictionary<string, double> _weights;
    private int _inUse;

    public WorkerRoom(JobDispatcher dispatcher, IOptions<OrleansJobsOptions> options, TimeProvider time)
        : this(LocalAndRemote(options.Value, dispatcher, time), options.Value.TenantWeights)
    {
    }

    /// <summary>A room whose size <paramref name="capacity"/> says, asked afresh at every take and give.</summary>
    internal WorkerRoom(Func<int> capacity, IDictionary<string, double>? weights = null)
    {
        _capacity = capacity;
        _weights = weights ?? new Dictionary<string, double>();
    }

    /// <summary>The silo's slots and lease-ahead, and the free slots of other silos as last read. Called under the lock.</summary>
    private static Func<int> LocalAndRemote(OrleansJobsOptions options, JobDispatcher dispatcher, TimeProvider time)
    {
        var local = options.MaxConcurrentJobsPerSilo + options.LeaseAhead;
        var remote = 0;
        var readAt = long.MinValue;
        return () =>
        {
            var now = time.GetTimestamp();
            if (readAt == long.MinValue || time.GetElapsedTime(readAt, now) >= RemoteReadingAge)
            {
                remote = dispatcher.RemoteFreeSlots();
                readAt = now;
            }

            return local + remote;
        };
    }

    /// <summary>Units held by the silo's queues now.</summary>
    public int InUse
    {
        get
        {
            lock (_lock)
            {
                return _inUse;
            }
        }
    }

    /// <summary>Queues waiting for room now.</summary>
    public int Waiting
    {
        get
        {
            lock (_lock)
            {
                return _waiting.Count;
            }
        }
    }

    /// <summary>One activation's handle on the room; close it when the activation stops.</summary>
    public QueueRoom Open(QueueKey queue) =>
        new(this, Math.Max(1, (int)Math.Round(_weights.TryGetValue(queue.Tenant, out var weight) ? weight : 1)));

    internal int TryTake(QueueRoom room, int wanted)
    {
        lock (_lock)
        {
            if (room.Closed || wanted <= 0 || _waiting.Count > 0)
            {
                return 0;
            }

            var taken = Math.Min(wanted, Math.Max(0, _capacity() - _inUse));
            _inUse += taken;
            room.Held += taken;
            return taken;
        }
    }

    internal void Give(QueueRoom room, int units)
    {
        List<(TaskCompletionSource<int>, int)>? granted;
        lock (_lock)
        {
            units = Math.Min(units, room.Held);
            room.Held -= units;
            _inUse -= units;
            granted = Serve();
        }

        Complete(granted);
    }

    internal Task<int> WaitAsync(QueueRoom room, int wanted)
    {
        List<(TaskCompletionSource<int>, int)>? granted;
        Task<int> wait;
        lock (_lock)
        {
            if (room.Closed)
            {
                return Task.FromResult(0);
            }

            if (room.Wait is null)
            {
                room.Wait = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
                room.Node = _waiting.AddLast(room);
            }

            room.Wanted = Math.Max(1, wanted);
            wait = room.Wait.Task;

            // The room may have grown since the queue's last take (another silo reported free slots).
            granted = Serve();
        }

        Complete(granted);
        return wait;
    }

    /// <summary>The activation stopped: it waits no more and everything it held goes back.</summary>
    internal void Close(QueueRoom room)
    {
        List<(TaskCompletionSource<int>, int)>? granted;
        TaskCompletionSource<int>? wait;
        lock (_lock)
        {
            room.Closed = true;
            wait = Leave(room);
            _inUse -= room.Held;
            room.Held = 0;
            granted = Serve();
        }

        wait?.TrySetResult(0);
        Complete(granted);
    }

    /// <summary>
    /// Hands free units to the waiting queues in rounds, up to each one's weight a round, until the
    /// free units or the wants run out; each queue served leaves the line. Under the lock; returns the
    /// waits to complete outside it.
    /// </summary>
    private List<(TaskCompletionSource<int>, int)>? Serve()
    {
        if (_waiting.Count == 0)
        {
            return null;
        }

        var free = _capacity() - _inUse;
        if (free <= 0)
        {
            return null;
        }

        var shares = new Dictionary<QueueRoom, int>();
        for (var progress = true; free > 0 && progress;)
        {
            progress = false;
            foreach (var room in _waiting)
            {
                var share = shares.GetValueOrDefault(room);
                var more = Math.Min(free, Math.Min(room.Weight, room.Wanted - share));
                if (more > 0)
                {
                    shares[room] = share + more;
                    free -= more;
                    progress = true;
                    if (free == 0)
                    {
                        break;
                    }
                }
            }
        }

        var granted = new List<(TaskCompletionSource<int>, int)>(shares.Count);
        foreach (var (room, units) in shares)
        {
            _inUse += units;
            room.Held += units;
            granted.Add((Leave(room)!, units));
        }

        return granted;
    }

    private TaskCompletionSource<int>? Leave(QueueRoom room)
    {
        if (room.Node is null)
        {
            return null;
        }

        _waiting.Remove(room.Node);
        var wait = room.Wait;
        room.Node = null;
        room.Wait = null;
        return wait;
    }

    private static void Complete(List<(TaskCompletionSource<int> Wait, int Units)>? granted)
    {
        foreach (var (wait, units) in granted ?? [])
        {
            wait.TrySetResult(units);
        }
    }
}
