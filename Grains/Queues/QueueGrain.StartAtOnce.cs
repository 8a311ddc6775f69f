using OrleansJobs.Storage;

namespace OrleansJobs.Queues;

/// <summary>
/// The fast path of a queue with room: a due job that arrives while nothing due waits ahead of it
/// and a slot, a permit and a token are free is inserted with its first attempt already leased and
/// runs as soon as the insert commits. That saves each such job a lease write and a group commit's
/// wait, which is most of its start latency under a steady load. Everything else takes the window.
/// </summary>
internal sealed partial class QueueGrain
{
    /// <summary>Marks the rows that start at once and takes their slots, best priority first.</summary>
    private void StartAtOnce(NewJob[] rows)
    {
        if (_draining || _window.Count > 0 || _storeHasMore)
        {
            return;
        }

        var free = SlotsFree;
        if (free <= 0)
        {
            return;
        }

        // OrderBy is stable, so jobs of one priority start in the order they were submitted.
        var due = Enumerable.Range(0, rows.Length).Where(i => rows[i].State == JobState.Enqueued).OrderBy(i => rows[i].Priority).Take(free).ToList();
        var starting = _bucket is { } bucket ? bucket.TakeUpTo(due.Count) : due.Count;
        foreach (var i in due.Take(starting))
        {
            rows[i] = rows[i] with { Start = new ImmediateStart(_owner, rows[i].CreatedAt, LeaseMargin) };
            _running.Add(rows[i].Id);
            _busy++;
        }
    }

    /// <summary>The insert did not commit: the rows marked to start hold no slot any more.</summary>
    private void ReleaseStarts(NewJob[] rows)
    {
        foreach (var row in rows)
        {
            ReleaseStart(row);
        }
    }

    /// <summary>A row marked to start that was not stored (its idempotency key named an earlier job) gives its slot back.</summary>
    private void ReleaseStart(NewJob row)
    {
        if (row.Start is not null && _running.Remove(row.Id))
        {
            ReleaseBusy();
        }
    }
}
