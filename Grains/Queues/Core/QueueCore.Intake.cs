using OrleansJobs.Storage;

namespace OrleansJobs.Queues.Core;

/// <summary>The events of jobs arriving and people cancelling them.</summary>
internal sealed partial class QueueCore
{
    /// <summary>Holds room in the backlog for new jobs; a queue that sheds asks for its shed first, once.</summary>
    public BacklogDecision ReserveBacklog(IReadOnlyList<NewJob> rows, bool shedDone) => Backlog.Reserve(Policy, rows, shedDone);

    /// <summary>Jobs were shed (cancelled in the store) to make room.</summary>
    public void Shed(IReadOnlyList<JobId> ids)
    {
        foreach (var id in ids)
        {
            Window.Remove(id);
        }

        Backlog.Left(ids.Count);
    }

    /// <summary>
    /// The fast path of a queue with room: a due job that arrives while nothing due waits ahead of it
    /// and a slot, a permit, room on the silo and a token are free is inserted with its first attempt already leased.
    /// Marks those rows (best priority first) and returns them. A row whose id this activation already
    /// holds is a client sending its enqueue again: the store keeps the first, so it is never started.
    /// </summary>
    public NewJob[] PlanStarts(DateTimeOffset now, NewJob[] rows)
    {
        At(now);
        var free = SlotsFree;
        if (Draining || Paused || BackingOff || !BreakerClosed || Window.Count > 0 || Window.StoreHasMore || free <= 0)
        {
            return rows;
        }

        // OrderBy is stable, so jobs of one priority start in the order they were submitted.
        IReadOnlyList<int> due = rows.Length == 1
            ? rows[0].State == JobState.Enqueued && !Attempts.Holds(rows[0].Id) ? [0] : []
            : [.. Enumerable.Range(0, rows.Length).Where(i => rows[i].State == JobState.Enqueued && !Attempts.Holds(rows[i].Id))
                .DistinctBy(i => rows[i].Id).OrderBy(i => rows[i].Priority).Take(free)];
        if (Gate is { } keyGate)
        {
            due = AdmittedByKey(keyGate, rows, due);
        }

        var starting = Room.Take(_bucket is { } bucket ? Math.Min(due.Count, bucket.Available()) : due.Count);
        _bucket?.TakeUpTo(starting);
        for (var n = 0; n < starting; n++)
        {
            var i = due[n];
            rows[i] = rows[i] with { Start = new ImmediateStart(_settings.Owner, rows[i].CreatedAt, _settings.LeaseMargin) };
            Attempts.Begin(rows[i].Id, AttemptPhase.Inserting);
            if (rows[i].PartitionKey is { } key)
            {
                Gate!.Began(rows[i].Id, key);
            }
        }

        return rows;
    }

    /// <summary>The rows of <paramref name="due"/> whose keys admit one more attempt each, in order.</summary>
    private List<int> AdmittedByKey(PartitionGate gate, NewJob[] rows, IReadOnlyList<int> due)
    {
        var admitted = new List<int>(due.Count);
        var picked = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var i in due)
        {
            if (rows[i].PartitionKey is not { } key)
            {
                admitted.Add(i);
                continue;
            }

            var already = picked.GetValueOrDefault(key);
            var admits = gate.Admits(key, already, out _, out var changed);
            Report(changed);
            if (admits)
            {
                picked[key] = already + 1;
                admitted.Add(i);
            }
        }

        return admitted;
    }

    /// <summary>The insert did not commit: nothing was stored, the room and the slots held for it go back.</summary>
    public void InsertFailed(DateTimeOffset now, IReadOnlyList<NewJob> rows)
    {
        At(now);
        Backlog.Left(rows.Count);
        foreach (var row in rows)
        {
            if (row.Start is not null)
            {
                EndAttempt(row.Id);
            }
        }

        Pump();
    }

    /// <summary>The insert committed. A row whose idempotency key named an earlier job stored nothing.</summary>
    public void InsertCommitted(DateTimeOffset now, IReadOnlyList<NewJob> rows, IReadOnlyList<InsertOutcome> outcomes)
    {
        At(now);
        for (var i = 0; i < rows.Count; i++)
        {
            var row = rows[i];
            if (!outcomes[i].Created)
            {
                Backlog.Left();
                if (row.Start is not null)
                {
                    EndAttempt(row.Id);
                }
            }
            else if (row.Start is not null)
            {
                Backlog.Left();
                Started(row.Id);
                Emit(new RunAttempt(row.FirstAttempt()));
            }
            else if (row.State == JobState.Enqueued)
            {
                Heads?.MayHaveNew();
                Offer(new ReadyJob(row.Id, row.Priority, row.RunAt, row.PartitionKey));
            }
            else
            {
                Emit(Due.Note(row.RunAt));
            }
        }

        Pump();
    }

    /// <summary>A person cancels a job. Returns whether it is running here (its handler is told to stop); else the shell cancels it in the store.</summary>
    public bool CancelRequested(JobId id)
    {
        if (Attempts.PhaseOf(id) != AttemptPhase.Running)
        {
            return false;
        }

        Emit(new StopAttempt(id));
        return true;
    }

    /// <summary>The store cancelled a waiting job.</summary>
    public void CancelledInStore(JobId id)
    {
        Backlog.Left();
        Window.Remove(id);
    }
}
