using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansJobs.Diagnostics;
using OrleansJobs.Hosting;
using OrleansJobs.Storage;

namespace OrleansJobs.Maintenance;

/// <summary>The cluster's one retention sweep (key 0): deletes finished jobs, expired idempotency keys and queue history past their retention.</summary>
[Alias("OrleansJobs.IRetentionGrain")]
internal interface IRetentionGrain : IGrainWithIntegerKey
{
    /// <summary>Makes sure the sweep's reminder exists. Every silo calls it at start; it is idempotent.</summary>
    [Alias("Start")]
    Task StartAsync();

    /// <summary>Sweeps once now (or continues the sweep under way); returns how many rows it deleted in this turn.</summary>
    [Alias("Sweep")]
    Task<int> SweepAsync();
}

/// <summary>
/// Maintenance: finished jobs, expired idempotency keys and queue history minutes are deleted once their
/// retention passed, so finished rows never pile up (they slow vacuum and every scan that is not on a partial index).
/// <para><b>When.</b> The cluster's one reminder, every <see cref="OrleansJobsOptions.RetentionSweepInterval"/>;
/// every silo start makes sure it exists.</para>
/// <para><b>Work.</b> A state at a time, a scope at a time (each queue's succeeded or cancelled jobs, each
/// tenant's dead letters, read from the counters), page by page in id order along that state's partial index,
/// so each page costs O(page) and never steps over rows of other states it keeps; a turn deletes at most
/// <see cref="PagesPerTurn"/> pages and, when more remain, continues in the next turn from where it
/// stopped, so other calls are not held up behind a long delete.</para>
/// <para><b>On failure.</b> Logged; the next tick starts over, and nothing is half-deleted (each page is one transaction).</para>
/// </summary>
internal sealed partial class RetentionGrain(
    IMaintenanceStore store,
    IHistoryStore history,
    IOptions<OrleansJobsOptions> options,
    TimeProvider time,
    ILogger<RetentionGrain> logger) : Grain, IRetentionGrain, IRemindable
{
    private const string ReminderName = "retention";
    private const int PageSize = 2_000;
    private const int PagesPerTurn = 10;

    private readonly OrleansJobsOptions _options = options.Value;

    /// <summary>Where the sweep under way stands, per finished state; empty when none is under way.</summary>
    private readonly Dictionary<JobState, StateSweep> _sweeps = [];
    private bool _keysPending;
    private bool _historyPending;
    private IGrainTimer? _continuation;

    public async Task StartAsync() =>
        await this.RegisterOrUpdateReminder(ReminderName, _options.RetentionSweepInterval, _options.RetentionSweepInterval);

    public async Task ReceiveReminder(string reminderName, TickStatus status) => await SweepAsync();

    public async Task<int> SweepAsync()
    {
        var now = time.GetUtcNow();
        if (_sweeps.Count == 0 && !_keysPending && !_historyPending)
        {
            foreach (var (state, _) in Retentions())
            {
                _sweeps[state] = new StateSweep();
            }

            _keysPending = true;
            _historyPending = true;
        }

        var deleted = 0;
        var pages = 0;
        try
        {
            foreach (var (state, keep) in Retentions())
            {
                while (pages < PagesPerTurn && _sweeps.TryGetValue(state, out var sweep))
                {
                    pages++;
                    if (sweep.Scopes is null)
                    {
                        sweep.Scopes = await store.ListRetentionScopesAsync(state, CancellationToken.None);
                    }
                    else
                    {
                        var page = await store.DeleteFinishedAsync(sweep.Scopes[sweep.Next], state, now - keep, sweep.After, PageSize, CancellationToken.None);
                        deleted += page.Deleted;
                        (sweep.Next, sweep.After) = page.Deleted < PageSize ? (sweep.Next + 1, null) : (sweep.Next, page.Last);
                    }

                    if (sweep.Next >= sweep.Scopes.Count)
                    {
                        _sweeps.Remove(state);
                    }
                }
            }

            while (pages < PagesPerTurn && _keysPending)
            {
                var keys = await store.ExpireKeysAsync(now, _options.IdempotencyRetention, PageSize, CancellationToken.None);
                pages++;
                deleted += keys;
                _keysPending = keys >= PageSize;
            }

            while (pages < PagesPerTurn && _historyPending)
            {
                var minutes = await history.DeleteMinutesAsync(now - _options.HistoryRetention, PageSize, CancellationToken.None);
                pages++;
                deleted += minutes;
                _historyPending = minutes >= PageSize;
            }
        }
        catch (Exception ex)
        {
            // The next reminder tick starts over; nothing is half-deleted (each page is one transaction).
            LogSweepFailed(ex);
            _sweeps.Clear();
            _keysPending = false;
            _historyPending = false;
            return deleted;
        }

        if (deleted > 0)
        {
            LogSwept(deleted);
        }

        if (_sweeps.Count > 0 || _keysPending || _historyPending)
        {
            _continuation ??= this.RegisterGrainTimer(static (grain, _) => grain.SweepAsync(), this,
                new GrainTimerCreationOptions(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan) { KeepAlive = true });
            _continuation.Change(TimeSpan.Zero, Timeout.InfiniteTimeSpan);
        }

        return deleted;
    }

    private IEnumerable<(JobState State, TimeSpan Keep)> Retentions()
    {
        if (_options.SucceededRetention is { } succeeded)
        {
            yield return (JobState.Succeeded, succeeded);
        }

        if (_options.CancelledRetention is { } cancelled)
        {
            yield return (JobState.Cancelled, cancelled);
        }

        if (_options.DeadLetterRetention is { } dead)
        {
            yield return (JobState.Dead, dead);
        }
    }

    /// <summary>
    /// One finished state's sweep: its scopes (queues, or tenants for dead letters), read when it starts, so a
    /// queue that gains its first finished job meanwhile waits for the next sweep; the one it is on; and the
    /// last id deleted there.
    /// </summary>
    private sealed class StateSweep
    {
        public IReadOnlyList<QueueKey>? Scopes { get; set; }

        public int Next { get; set; }

        public JobId? After { get; set; }
    }

    [LoggerMessage(EventId = (int)LogEvents.RetentionSwept, Level = LogLevel.Information, Message = "Retention deleted {Rows} finished job(s), expired idempotency key(s) and old queue history minute(s)")]
    private partial void LogSwept(int rows);

    [LoggerMessage(EventId = (int)LogEvents.RetentionFailed, Level = LogLevel.Warning, Message = "Retention sweep failed; the next reminder tick starts over")]
    private partial void LogSweepFailed(Exception exception);
}
