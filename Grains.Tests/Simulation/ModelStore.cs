using OrleansJobs.Queues;
using OrleansJobs.Storage;

namespace OrleansJobs.Tests.Simulation;

/// <summary>
/// The job store as the queue core sees it, in memory: one row per job, the same ordering, lease
/// fencing and state moves as the real stores (whose contract tests pin those), nothing else.
/// </summary>
internal sealed class ModelStore
{
    private static readonly Comparer<Row> RunOrder = Comparer<Row>.Create(static (a, b) => ReadyWindow.RunOrder.Compare(a.Ready, b.Ready));

    private static readonly Comparer<Row> DueOrder = Comparer<Row>.Create(static (a, b) =>
    {
        var c = a.RunAt.CompareTo(b.RunAt);
        return c != 0 ? c : a.Id.CompareTo(b.Id);
    });

    private readonly Dictionary<JobId, Row> _rows = [];

    // Indexes by state, as the real stores keep them, so a step costs O(page), not O(every job ever stored).
    private readonly SortedSet<Row> _enqueued = new(RunOrder);
    private readonly SortedSet<Row> _scheduled = new(DueOrder);
    private readonly HashSet<Row> _active = [];
    private int _unfinished;

    public sealed class Row
    {
        public required JobId Id { get; init; }

        public required JobPriority Priority { get; set; }

        public required DateTimeOffset CreatedAt { get; init; }

        public required int MaxAttempts { get; init; }

        public required TimeSpan Timeout { get; init; }

        public DateTimeOffset RunAt { get; internal set; }

        public JobState State { get; internal set; }

        public long Lease { get; set; }

        public int Attempt { get; set; }

        /// <summary>Attempts that asked to run again without counting (snoozed or throttled).</summary>
        public int Rescheduled { get; set; }

        public DateTimeOffset LeaseExpiresAt { get; set; }

        public string? Partition { get; init; }

        public ReadyJob Ready => new(Id, Priority, RunAt, Partition);
    }

    public IReadOnlyCollection<Row> Rows => _rows.Values;

    /// <summary>The enqueued rows in run order.</summary>
    public IReadOnlyCollection<Row> Enqueued => _enqueued;

    /// <summary>Jobs waiting: scheduled or enqueued.</summary>
    public long Waiting => _enqueued.Count + _scheduled.Count;

    /// <summary>Whether every stored job has finished.</summary>
    public bool AllFinished => _unfinished == 0;

    public Row this[JobId id] => _rows[id];

    public bool Contains(JobId id) => _rows.ContainsKey(id);

    public static bool IsFinished(JobState state) => state is JobState.Succeeded or JobState.Dead or JobState.Cancelled;

    public InsertOutcome[] Insert(IReadOnlyList<NewJob> jobs) => [.. jobs.Select(Insert)];

    public IReadOnlyList<ReadyJob> ReadReady(ReadyJob? after, int limit)
    {
        IEnumerable<Row> ready = _enqueued;
        if (after is { } key && _enqueued.Count > 0)
        {
            var from = new Row { Id = key.Id, Priority = key.Priority, CreatedAt = default, MaxAttempts = 0, Timeout = default, RunAt = key.RunAt };
            ready = RunOrder.Compare(from, _enqueued.Max) >= 0 ? [] : _enqueued.GetViewBetween(from, _enqueued.Max).Where(r => RunOrder.Compare(r, from) > 0);
        }

        return [.. ready.Take(limit).Select(r => r.Ready)];
    }

    /// <summary>The first due jobs of each partition key after <paramref name="request"/>'s, as the real stores read them (ordinal key order).</summary>
    public PartitionHeads ReadPartitionHeads(PartitionHeadsRequest request)
    {
        var found = _enqueued.Where(r => r.Partition is { } key && (request.AfterKey is null || string.CompareOrdinal(key, request.AfterKey) > 0))
            .Select(r => r.Partition!).Distinct().Order(StringComparer.Ordinal).Take(request.Keys + request.Skip.Count).ToList();
        var (wanted, last, ended) = ReadySql.ChooseKeys(found, request);
        var jobs = wanted.SelectMany(key => _enqueued.Where(r => r.Partition == key).Take(request.PerKey).Select(r => r.Ready)).ToList();
        return new PartitionHeads(jobs, last, ended);
    }

    public LeasedJob? Lease(LeaseRequest request)
    {
        if (!_rows.TryGetValue(request.Id, out var row) || row.State != JobState.Enqueued)
        {
            return null;
        }

        Move(row, JobState.Active);
        row.Lease++;
        row.Attempt++;
        if (row.Attempt != row.Lease - row.Rescheduled)
        {
            throw new InvalidOperationException($"job {row.Id} leased as attempt {row.Attempt} after {row.Lease} leases of which {row.Rescheduled} did not count");
        }

        row.LeaseExpiresAt = request.StartedAt + row.Timeout + request.ExpiryMargin;
        return Leased(row);
    }

    /// <summary>A lease-guarded outcome: false when the lease is stale (the row moved on).</summary>
    public bool Finish(JobId id, long lease, JobState to, DateTimeOffset? runAt = null)
    {
        var row = _rows[id];
        if (row.State != JobState.Active || row.Lease != lease)
        {
            return false;
        }

        Move(row, to, runAt);
        return true;
    }

    /// <summary>A lease-guarded snooze: the job waits until <paramref name="runAt"/> and its attempt does not count.</summary>
    public bool Reschedule(JobId id, long lease, DateTimeOffset runAt)
    {
        if (!Finish(id, lease, JobState.Scheduled, runAt))
        {
            return false;
        }

        var row = _rows[id];
        row.Attempt--;
        row.Rescheduled++;
        return true;
    }

    public DuePromotion PromoteDue(DateTimeOffset now, int limit)
    {
        var due = _scheduled.TakeWhile(r => r.RunAt <= now).Take(limit).ToList();
        foreach (var row in due)
        {
            Move(row, JobState.Enqueued);
        }

        return new DuePromotion([.. due.Select(r => r.Ready)], NextDue());
    }

    /// <summary>Moves up to <paramref name="limit"/> enqueued jobs below high priority, due since <paramref name="since"/>, to high, earliest first.</summary>
    public IReadOnlyList<ReadyJob> Age(DateTimeOffset since, int limit)
    {
        var aged = _enqueued.Where(r => r.Priority != JobPriority.High && r.RunAt <= since).OrderBy(r => r.RunAt).Take(limit).ToList();
        foreach (var row in aged)
        {
            _enqueued.Remove(row);
            row.Priority = JobPriority.High;
            _enqueued.Add(row);
        }

        return [.. aged.Select(r => r.Ready)];
    }

    public DateTimeOffset? NextDue() => _scheduled.Count == 0 ? null : _scheduled.Min!.RunAt;

    /// <summary>The rows a sweep would requeue: active, lease expired before <paramref name="before"/> (all when null), not held.</summary>
    public List<Row> Stale(DateTimeOffset? before, IReadOnlyCollection<JobId> held) =>
        [.. _active.Where(r => (before is null || r.LeaseExpiresAt < before) && !held.Contains(r.Id))];

    public int Requeue(IEnumerable<Row> rows)
    {
        var count = 0;
        foreach (var row in rows)
        {
            Move(row, JobState.Enqueued);
            count++;
        }

        return count;
    }

    /// <summary>Cancels exactly <paramref name="count"/> enqueued jobs of lower priority than <paramref name="above"/>, lowest and latest first, or none.</summary>
    public IReadOnlyList<JobId> Shed(JobPriority above, int count)
    {
        var shed = _enqueued.Where(r => r.Priority > above).OrderByDescending(r => r.Priority).ThenByDescending(r => r.RunAt).ThenByDescending(r => r.Id).Take(count).ToList();
        if (shed.Count < count)
        {
            return [];
        }

        foreach (var row in shed)
        {
            Move(row, JobState.Cancelled);
        }

        return [.. shed.Select(r => r.Id)];
    }

    public bool Cancel(JobId id)
    {
        if (!_rows.TryGetValue(id, out var row) || row.State is not (JobState.Scheduled or JobState.Enqueued))
        {
            return false;
        }

        Move(row, JobState.Cancelled);
        return true;
    }

    private InsertOutcome Insert(NewJob job)
    {
        // A client sending its enqueue again with the id it chose: the job stays as it is.
        if (_rows.ContainsKey(job.Id))
        {
            return new InsertOutcome(job.Id, Created: false);
        }

        var row = new Row
        {
            Id = job.Id,
            Priority = job.Priority,
            CreatedAt = job.CreatedAt,
            MaxAttempts = job.MaxAttempts,
            Timeout = job.Timeout,
            RunAt = job.RunAt,
            Partition = job.PartitionKey,
        };
        if (job.Start is { } start)
        {
            row.Lease = 1;
            row.Attempt = 1;
            row.LeaseExpiresAt = start.StartedAt + job.Timeout + start.ExpiryMargin;
        }

        _rows.Add(job.Id, row);
        _unfinished++;
        Index(row, job.State);
        return new InsertOutcome(job.Id, Created: true);
    }

    private void Move(Row row, JobState to, DateTimeOffset? runAt = null)
    {
        _ = row.State switch
        {
            JobState.Enqueued => _enqueued.Remove(row),
            JobState.Scheduled => _scheduled.Remove(row),
            JobState.Active => _active.Remove(row),
            _ => throw new InvalidOperationException($"A finished job ({row.State}) does not move."),
        };
        if (runAt is { } at)
        {
            row.RunAt = at;
        }

        if (IsFinished(to))
        {
            _unfinished--;
        }

        Index(row, to);
    }

    private void Index(Row row, JobState state)
    {
        row.State = state;
        _ = state switch
        {
            JobState.Enqueued => _enqueued.Add(row),
            JobState.Scheduled => _scheduled.Add(row),
            JobState.Active => _active.Add(row),
            _ => true,
        };
    }

    private static LeasedJob Leased(Row row) =>
        new(row.Id, new QueueKey("sim", "job"), row.Lease, row.Attempt, row.MaxAttempts, row.Timeout, row.CreatedAt, []);
}
