using OrleansJobs.Storage;

namespace OrleansJobs.Queues.Core;

/// <summary>
/// The first due jobs of other partition keys, read past the window when every job in it waits for a
/// blocked key: the queue's turn-taking across keys. Reads go round the keys in the store's key
/// order, a few keys at a time, so each key gets its turn whatever its backlog; each read replaces
/// what the last brought, so memory stays bounded by one read.
/// </summary>
internal sealed class PartitionHeadPool(int keysPerRead, int jobsPerKey)
{
    /// <summary>Most blocked keys a round remembers.</summary>
    public const int MaxBlockedKeysKept = 4096;

    private readonly SortedSet<ReadyJob> _jobs = new(ReadyWindow.RunOrder);
    private readonly Dictionary<JobId, ReadyJob> _byId = [];
    private string? _cursor;
    private bool _exhausted;
    /// <summary>Keys the current round found blocked (left out, or read and unable to start): one opening means a read is worth it again.</summary>
    private readonly HashSet<string> _blockedInRound = new(StringComparer.Ordinal);

    /// <summary>The reads since the cursor last left the first key found something that could start.</summary>
    private bool _roundFoundAny;

    /// <summary>The current round of reads began at the first key with nothing new arriving since.</summary>
    private bool _roundWhole;

    /// <summary>For the simulator's reports: where the reads stand.</summary>
    public override string ToString() =>
        $"heads: {Count} read, cursor {(_cursor is null ? "at the first key" : $"'{_cursor}'")}, {(Reading ? "reading" : _exhausted ? "exhausted" : "idle")}, blocked this round [{string.Join(",", _blockedInRound)}]";

    public int Count => _byId.Count;

    public bool Reading { get; private set; }

    /// <summary>The jobs read, in run order.</summary>
    public IEnumerable<ReadyJob> InRunOrder => _jobs;

    public bool Contains(JobId id) => _byId.ContainsKey(id);

    public void Remove(JobId id)
    {
        if (_byId.Remove(id, out var job))
        {
            _jobs.Remove(job);
        }
    }

    /// <summary>
    /// New due jobs may have reached the store (inserted, promoted, requeued): keys no read has seen may
    /// have work. Until then, a read that found nothing to start is not repeated.
    /// </summary>
    public void MayHaveNew()
    {
        _exhausted = false;
        _roundWhole = false;
    }

    /// <summary>
    /// The last round of reads found nothing to start. If a key it found blocked is open now with no job in
    /// sight (<paramref name="openWithoutJobs"/>), its next jobs are in the store past the window: read again.
    /// Otherwise says when the first of them opens by time alone (<paramref name="reopensAt"/>: a back-off,
    /// a break, a rate), since no job in sight will wake the queue for it. Past
    /// <see cref="MaxBlockedKeysKept"/> blocked keys it stops keeping them and reads whenever it is asked.
    /// </summary>
    public DateTimeOffset? Reconsider(Func<string, bool> openWithoutJobs, Func<string, DateTimeOffset?> reopensAt)
    {
        if (!_exhausted)
        {
            return null;
        }

        if (_blockedInRound.Count >= MaxBlockedKeysKept)
        {
            _exhausted = false;
            return null;
        }

        DateTimeOffset? soonest = null;
        foreach (var key in _blockedInRound)
        {
            if (openWithoutJobs(key))
            {
                _exhausted = false;
                return null;
            }

            if (reopensAt(key) is { } at && !(soonest <= at))
            {
                soonest = at;
            }
        }

        return soonest;
    }

    /// <summary>Starts a read of the next keys' first jobs, leaving out <paramref name="blocked"/>; null when one is in flight or the last found nothing new.</summary>
    public ReadPartitionHeads? StartRead(IReadOnlyCollection<string> blocked)
    {
        if (Reading || _exhausted)
        {
            return null;
        }

        Reading = true;
        if (_cursor is null)
        {
            _roundWhole = true;
            _roundFoundAny = false;
            _blockedInRound.Clear();
        }

        return new ReadPartitionHeads(_cursor, blocked, keysPerRead, jobsPerKey);
    }

    /// <summary>
    /// The read came back. Its jobs replace the last read's (those an attempt holds, or the window has,
    /// are left out). Once a whole round of reads, from the first key to the last, brought nothing that
    /// could start, reads stop until <see cref="MayHaveNew"/>.
    /// </summary>
    public void Read(ReadPartitionHeads read, PartitionHeads heads, Func<JobId, bool> elsewhere, Func<string, bool> couldStart)
    {
        Reading = false;
        _jobs.Clear();
        _byId.Clear();
        foreach (var job in heads.Jobs)
        {
            if (elsewhere(job.Id))
            {
                // Its key's next jobs show once this one leaves: a key to look at again.
                if (job.Partition is { } busy)
                {
                    Remember(busy);
                }
            }
            else if (_byId.TryAdd(job.Id, job))
            {
                _jobs.Add(job);
            }
        }

        _cursor = heads.Ended ? null : heads.LastKey;

        // Keys a read did not leave out may be blocked by the time it answers (a rate, a breaker): a whole
        // round of reads that finds nothing to start ends the reads, or they would go round and round.
        foreach (var job in _jobs)
        {
            if (job.Partition is not { } key || couldStart(key))
            {
                _roundFoundAny = true;
            }
            else
            {
                Remember(key);
            }
        }

        foreach (var key in read.Skip)
        {
            Remember(key);
        }

        _exhausted = heads.Ended && _roundWhole && !_roundFoundAny;
    }

    public void ReadFailed() => Reading = false;

    private void Remember(string key)
    {
        if (_blockedInRound.Count < MaxBlockedKeysKept)
        {
            _blockedInRound.Add(key);
        }
    }
}
