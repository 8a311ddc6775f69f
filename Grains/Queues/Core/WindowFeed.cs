using OrleansJobs.Storage;

namespace OrleansJobs.Queues.Core;

/// <summary>What the window knows about the due jobs in the store.</summary>
internal enum StoreView
{
    /// <summary>The window holds every due job of the store that no attempt holds.</summary>
    Mirrored,

    /// <summary>The store holds due jobs the window lacks, all of them after the window's last.</summary>
    MoreAfterWindow,

    /// <summary>The store may hold due jobs the window lacks anywhere in run order (requeued, replayed, a failed lease's): read from the top.</summary>
    MoreAnywhere,
}

/// <summary>Where the window's paging stands.</summary>
internal enum PageReading
{
    /// <summary>No read in flight; a read starts when the window runs low and the store has more.</summary>
    Idle,

    /// <summary>A page read is in flight.</summary>
    Reading,

    /// <summary>The last full page brought nothing new (only rows being leased): wait for a lease to commit before reading again.</summary>
    Stalled,
}

/// <summary>
/// The queue's in-memory window of due jobs and what it knows of the store behind it: the head of
/// the queue, paged in as it drains, so memory stays bounded by the window whatever the backlog.
/// </summary>
internal sealed class WindowFeed(int capacity)
{
    private readonly ReadyWindow _window = new(capacity);
    private bool _spilledDuringRead;

    /// <summary>The earliest-running job that stayed in the store while a read was in flight (or a bound below it).</summary>
    private ReadyJob? _firstSpilledDuringRead;
    private int _countAtRead;

    public StoreView View { get; private set; } = StoreView.Mirrored;

    public PageReading Reading { get; private set; } = PageReading.Idle;

    /// <summary>How many times due jobs went to the store's side of the window (not taken in, or evicted): it only grows.</summary>
    public long Spills { get; private set; }

    public int Count => _window.Count;

    public int Capacity => _window.Capacity;

    public bool Contains(JobId id) => _window.Contains(id);

    public bool StoreHasMore => View != StoreView.Mirrored;

    /// <summary>The job that runs last of those in the window; null when it is empty.</summary>
    public ReadyJob? Last => _window.Last;

    /// <summary>The jobs in the window in run order, for the simulator's checks.</summary>
    public IEnumerable<ReadyJob> InRunOrder => _window.InRunOrder;

    /// <summary>A due job was stored: keep it if it belongs at the head of the queue, else remember the store has more.</summary>
    public void Offer(ReadyJob job)
    {
        // While the store holds jobs the window lacks, a job that runs after all of the window's may
        // run after some of those too, so it waits in the store for its page. What did not fit, or
        // was evicted, likewise runs after every job left in the window.
        if ((StoreHasMore && _window.RunsAfterAll(job)) || _window.Offer(job))
        {
            // What stayed in the store is this job or the one it evicted, which runs after it: this
            // job bounds both from below.
            if (Reading == PageReading.Reading && (_firstSpilledDuringRead is not { } first || ReadyWindow.RunOrder.Compare(job, first) < 0))
            {
                _firstSpilledDuringRead = job;
            }

            NoteSpilled(StoreView.MoreAfterWindow);
        }
    }

    /// <summary>The store may hold due jobs the window lacks anywhere in run order.</summary>
    public void MarkStoreHasMore() => NoteSpilled(StoreView.MoreAnywhere);

    public bool TryTakeFirst(out ReadyJob job) => _window.TryTakeFirst(out job);

    public bool Remove(JobId id) => _window.Remove(id);

    /// <summary>A lease committed: rows that read as enqueued before may have moved on, so a stalled reader may read again.</summary>
    public void LeaseSettled()
    {
        if (Reading == PageReading.Stalled)
        {
            Reading = PageReading.Idle;
        }
    }

    /// <summary>
    /// Starts a page read if one is worth it: the store has more, no read is in flight or stalled,
    /// and the window runs low (or <paramref name="force"/>, when the caller knows the store changed).
    /// <paramref name="leasing"/> rows read as enqueued while their leases are written, so a read
    /// from the top reads past them. Returns the read to make, or null.
    /// </summary>
    public ReadPage? StartRead(bool force, int leasing)
    {
        if (!StoreHasMore || Reading == PageReading.Reading || (!force && (Reading == PageReading.Stalled || _window.Count > _window.Capacity / 2)))
        {
            return null;
        }

        var after = View == StoreView.MoreAnywhere ? null : _window.Last;
        Reading = PageReading.Reading;
        _spilledDuringRead = false;
        _firstSpilledDuringRead = null;
        _countAtRead = _window.Count;
        var limit = after is null ? _window.Capacity + leasing : _window.Capacity - _window.Count;
        if (View == StoreView.MoreAnywhere)
        {
            View = StoreView.MoreAfterWindow;
        }

        return new ReadPage(after, limit);
    }

    /// <summary>
    /// The page came back. The store is known to be fully mirrored only if the page was short and
    /// nothing spilled past the window meanwhile. <paramref name="held"/> says which jobs an attempt holds.
    /// </summary>
    public void PageRead(ReadPage read, IReadOnlyList<ReadyJob> page, Func<JobId, bool> held)
    {
        var spilled = false;
        foreach (var job in page)
        {
            if (!held(job.Id))
            {
                spilled |= _window.Offer(job);
            }
        }

        var full = page.Count == read.Limit;

        // A full page covers the store only up to its last job. Jobs offered while it was read may run
        // after that one, with store jobs the page did not reach between them: those go back to the
        // store's side, so the window stays the head of the queue and the next read continues from it.
        if (full && page.Count > 0 && _window.RemoveAfter(page[^1]) > 0)
        {
            spilled = true;
        }

        if (spilled)
        {
            Spills++;
        }

        // A job that stayed in the store while the page was read may run before the page's last, which
        // the window now ends with: then the next read must start from the top, or it would skip the job.
        var moreAnywhere = View == StoreView.MoreAnywhere
            || (_firstSpilledDuringRead is { } first && _window.Last is { } last && ReadyWindow.RunOrder.Compare(first, last) < 0);
        View = moreAnywhere ? StoreView.MoreAnywhere : spilled || full || _spilledDuringRead ? StoreView.MoreAfterWindow : StoreView.Mirrored;
        var stalled = read.Limit > 0 && full && !spilled && _window.Count == _countAtRead && !_spilledDuringRead;
        Reading = stalled ? PageReading.Stalled : PageReading.Idle;
    }

    /// <summary>The read failed: the page it owed may have been the top one, so the next read is from the top.</summary>
    public void PageReadFailed()
    {
        Reading = PageReading.Idle;
        View = StoreView.MoreAnywhere;
    }

    private void NoteSpilled(StoreView view)
    {
        Spills++;
        if (view == StoreView.MoreAnywhere || View == StoreView.Mirrored)
        {
            View = view;
        }

        if (Reading == PageReading.Reading)
        {
            _spilledDuringRead = true;
        }
        else if (Reading == PageReading.Stalled)
        {
            Reading = PageReading.Idle;
        }
    }
}
