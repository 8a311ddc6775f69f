using System.Data.Common;

namespace OrleansJobs.Diagnostics;

/// <summary>What an outage's log should say next.</summary>
internal enum OutageNews
{
    /// <summary>Nothing: the outage is known and its summary is not due.</summary>
    None,

    /// <summary>The store just became unavailable.</summary>
    Began,

    /// <summary>The store is still unavailable and a summary interval has passed.</summary>
    StillDown,
}

/// <summary>
/// Whether the job store is down, since when, and how many calls failed: the decisions behind the
/// silo's outage log, so an outage is one line when it begins, a summary per interval while it lasts
/// and one line when it ends, not a stack trace per refused call (30 000 in a minute were seen).
/// </summary>
internal sealed class StoreOutage(TimeSpan summaryInterval)
{
    private DateTimeOffset? _since;
    private DateTimeOffset _lastSummary;
    private long _failed;
    private long _failedSinceSummary;

    public bool IsDown => _since is not null;

    public DateTimeOffset? Since => _since;

    /// <summary>Failed calls in the outage so far.</summary>
    public long Failed => _failed;

    /// <summary>Failed calls since the last summary.</summary>
    public long FailedSinceSummary => _failedSinceSummary;

    /// <summary>Counts a failed store call.</summary>
    public OutageNews Fail(DateTimeOffset now)
    {
        _failed++;
        _failedSinceSummary++;
        if (_since is null)
        {
            (_since, _lastSummary, _failed, _failedSinceSummary) = (now, now, 1, 0);
            return OutageNews.Began;
        }

        return Tick(now);
    }

    /// <summary>Time passing while down: a summary is due once per interval.</summary>
    public OutageNews Tick(DateTimeOffset now)
    {
        if (_since is null || now - _lastSummary < summaryInterval)
        {
            return OutageNews.None;
        }

        return OutageNews.StillDown;
    }

    /// <summary>The summary was written: the next one counts from here.</summary>
    public void Summarized(DateTimeOffset now) => (_lastSummary, _failedSinceSummary) = (now, 0);

    /// <summary>The store answered: the outage, if any, is over. Returns how long it lasted.</summary>
    public TimeSpan? Recover(DateTimeOffset now)
    {
        if (_since is not { } since)
        {
            return null;
        }

        _since = null;
        return now - since;
    }

    /// <summary>Whether <paramref name="error"/> says the store cannot be reached now, rather than that a statement is wrong.</summary>
    public static bool IsUnavailability(Exception error) => error switch
    {
        JobStoreUnavailableException or TimeoutException or System.Net.Sockets.SocketException or IOException => true,
        DbException db => db.IsTransient || db.InnerException is not null && IsUnavailability(db.InnerException),
        OperationCanceledException => false,
        _ => error.InnerException is not null && IsUnavailability(error.InnerException),
    };
}
