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

    private readonly Dictionary<JobId, Row> _rows = [];

    public sealed class Row
    {
        public required JobId Id { get; init; }

        public required JobPriority Priority { get; init; }

        public required DateTimeOffset CreatedAt { get; init; }

        public required int MaxAttempts { get; init; }

        public required TimeSpan Timeout { get; init; }

        public DateTimeOffset RunAt { get; set; }

        public JobState State { get; set; }

        public long Lease { get; set; }

        public int Attempt { get; set; }

        public DateTimeOffset LeaseExpiresAt { get; set; }

        public ReadyJob Ready => new(Id, Priority, RunAt);
    }

    public IReadOnlyCollection<Row> Rows => _rows.Values;

    public Row this[JobId id] => _rows[id];

    public static bool IsFinished(JobState state) => state is JobState.Succeeded or JobState.Dead or JobState.Cancelled;

    public InsertOutcome[] Insert(IReadOnlyList<NewJob> jobs) => [.. jobs.Select(Insert)];

    public IReadOnlyList<ReadyJob> ReadReady(ReadyJob? after, int limit)
    {
        var ready = _rows.Values.Where(r => r.State == JobState.Enqueued).OrderBy(r => r, RunOrder).Select(r => r.Ready);
        if (after is { } key)
        {
            var afterRow = new Row { Id = key.Id, Priority = key.Priority, CreatedAt = default, MaxAttempts = 0, Timeout = default, RunAt = key.RunAt };
            ready = _rows.Values.Where(r => r.State == JobState.Enqueued && RunOrder.Compare(r, afterRow) > 0).OrderBy(r => r, RunOrder).Select(r => r.Ready);
        }

        return [.. ready.Take(limit)];
    }

    public LeasedJob? Lease(LeaseRequest request)
    {
        if (!_rows.TryGetValue(request.Id, out var row) || row.State != JobState.Enqueued)
        {
            return null;
        }

        row.State = JobState.Active;
        row.Lease++;
        row.Attempt++;
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

        row.State = to;
        if (runAt is { } at)
        {
            row.RunAt = at;
        }

        return true;
    }

    public DuePromotion PromoteDue(DateTimeOffset now, int limit)
    {
        var due = _rows.Values.Where(r => r.State == JobState.Scheduled && r.RunAt <= now).OrderBy(r => r.RunAt).ThenBy(r => r.Id).Take(limit).ToList();
        foreach (var row in due)
        {
            row.State = JobState.Enqueued;
        }

        return new DuePromotion([.. due.Select(r => r.Ready)], NextDue());
    }

    public DateTimeOffset? NextDue() =>
        _rows.Values.Where(r => r.State == JobState.Scheduled).Select(r => (DateTimeOffset?)r.RunAt).Min();

    /// <summary>The rows a sweep would requeue: active, lease expired before <paramref name="before"/> (all when null), not held.</summary>
    public List<Row> Stale(DateTimeOffset? before, IReadOnlyCollection<JobId> held) =>
        [.. _rows.Values.Where(r => r.State == JobState.Active && (before is null || r.LeaseExpiresAt < before) && !held.Contains(r.Id))];

    public int Requeue(IEnumerable<Row> rows)
    {
        var count = 0;
        foreach (var row in rows)
        {
            row.State = JobState.Enqueued;
            count++;
        }

        return count;
    }

    public bool Cancel(JobId id)
    {
        if (!_rows.TryGetValue(id, out var row) || row.State is not (JobState.Scheduled or JobState.Enqueued))
        {
            return false;
        }

        row.State = JobState.Cancelled;
        return true;
    }

    public long Waiting() => _rows.Values.LongCount(r => r.State is JobState.Scheduled or JobState.Enqueued);

    private InsertOutcome Insert(NewJob job)
    {
        var row = new Row
        {
            Id = job.Id,
            Priority = job.Priority,
            CreatedAt = job.CreatedAt,
            MaxAttempts = job.MaxAttempts,
            Timeout = job.Timeout,
            RunAt = job.RunAt,
            State = job.State,
        };
        if (job.Start is { } start)
        {
            row.Lease = 1;
            row.Attempt = 1;
            row.LeaseExpiresAt = start.StartedAt + job.Timeout + start.ExpiryMargin;
        }

        _rows.Add(job.Id, row);
        return new InsertOutcome(job.Id, Created: true);
    }

    private static LeasedJob Leased(Row row) =>
        new(row.Id, new QueueKey("sim", "job"), row.Lease, row.Attempt, row.MaxAttempts, row.Timeout, row.CreatedAt, []);
}
