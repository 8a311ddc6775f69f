using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansJobs.Hosting;
using OrleansJobs.Storage;

namespace OrleansJobs.Diagnostics;

/// <summary>
/// Writes this silo's share of each queue's per-minute history (<see cref="IHistoryStore"/>): every
/// <see cref="OrleansJobsOptions.HistorySampleInterval"/>, the counts the <see cref="QueueTally"/> took since the last
/// write are added to the current minute's rows, with the levels of the queues this silo owns, in one batch.
/// <para><b>On failure.</b> The counts go back to the tally and ride with the next write, so an outage of the
/// store delays the history and loses none of it. The failure is told to <see cref="StoreOutageLog"/>, the silo's one
/// voice about store failures, so an outage is a few lines however many samples fail. A silo that stops writes once
/// more on its way out.</para>
/// </summary>
internal sealed partial class QueueHistoryRecorder(
    QueueTally tally,
    QueueGauges gauges,
    IHistoryStore store,
    IOptions<OrleansJobsOptions> options,
    StoreOutageLog storeOutage,
    TimeProvider time,
    ILogger<QueueHistoryRecorder> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    private readonly CancellationTokenSource _stopping = new();
    private Task _recording = Task.CompletedTask;

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(
            nameof(QueueHistoryRecorder),
            ServiceLifecycleStage.Active,
            (CancellationToken ct) =>
            {
                _recording = Task.Run(() => RecordAsync(_stopping.Token));
                return Task.CompletedTask;
            },
            async (CancellationToken ct) =>
            {
                _stopping.Cancel();
                await _recording.WaitAsync(ct).ContinueWith(static _ => { }, TaskScheduler.Default);
                await WriteAsync(ct);
            });

    private async Task RecordAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(options.Value.HistorySampleInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                await WriteAsync(cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Takes the counts and levels and writes them as the current minute's; puts the counts back when the write fails.</summary>
    internal async Task WriteAsync(CancellationToken cancellationToken)
    {
        var counts = tally.Take();
        var rows = Rows(counts, gauges.Read(), time.GetUtcNow());
        try
        {
            await store.RecordMinutesAsync(rows, cancellationToken);
        }
        catch (Exception ex)
        {
            tally.Restore(counts);
            if (cancellationToken.IsCancellationRequested)
            {
                return;
            }

            storeOutage.Report(ex, "Queue history", "record minutes");
            LogCountsKept(rows.Count);
        }
    }

    /// <summary>One row per queue that counted anything or is owned here, in the minute of <paramref name="now"/>.</summary>
    internal static List<QueueMinute> Rows(IReadOnlyDictionary<QueueKey, TallyCounts> counts, IEnumerable<(QueueKey Queue, QueueLevels Levels)> owned, DateTimeOffset now)
    {
        var minute = QueueMinute.StartOf(now);
        var rows = new Dictionary<QueueKey, QueueMinute>();
        foreach (var (queue, c) in counts)
        {
            rows[queue] = new QueueMinute(queue, minute, c.Enqueued, c.Succeeded, c.Failed, c.DeadLettered, null, null);
        }

        foreach (var (queue, levels) in owned)
        {
            var row = rows.TryGetValue(queue, out var counted) ? counted : new QueueMinute(queue, minute, 0, 0, 0, 0, null, null);
            var oldest = levels.Backlog > 0 && levels.OldestWaitingSeconds > 0 ? TimeSpan.FromSeconds(levels.OldestWaitingSeconds) : (TimeSpan?)null;
            rows[queue] = row with { Backlog = levels.Backlog, OldestWait = oldest };
        }

        return [.. rows.Values];
    }

    [LoggerMessage(EventId = (int)LogEvents.HistoryWriteFailed, Level = LogLevel.Debug, Message = "Could not write the queues' history ({Rows} rows); the counts are kept for the next write")]
    private partial void LogCountsKept(int rows);
}
