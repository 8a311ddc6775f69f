using Microsoft.Extensions.Logging;
using OrleansJobs.Storage;

namespace OrleansJobs.Diagnostics;

/// <summary>
/// The silo's one voice about store failures. An unavailable store is one error line when it goes,
/// a warning with the count of failed calls every <see cref="SummaryInterval"/> while it stays down, and
/// one line when a probe finds it back; each failure's stack trace is at debug level. A failure that is
/// not unavailability (a bad statement, a bug) is still an error with its stack trace.
/// </summary>
internal sealed partial class StoreOutageLog(IMaintenanceStore store, TimeProvider time, ILogger<StoreOutageLog> logger) : IDisposable
{
    public static readonly TimeSpan SummaryInterval = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ProbeInterval = TimeSpan.FromSeconds(1);

    private readonly Lock _gate = new();
    private readonly StoreOutage _outage = new(SummaryInterval);
    private readonly CancellationTokenSource _disposed = new();
    private bool _probing;

    /// <summary>A store call of <paramref name="operation"/> for <paramref name="source"/> failed.</summary>
    public void Report(Exception error, string source, string operation)
    {
        LogFailureDetail(error, source, operation);
        if (!StoreOutage.IsUnavailability(error))
        {
            LogStoreError(error, source, operation);
            return;
        }

        // Counted and the probe claimed under one lock, so a probe that just found the store back cannot miss this failure.
        var (news, failed, down, startProbe) = Observe(static (outage, now) => outage.Fail(now), claimProbe: true);
        if (news == OutageNews.Began)
        {
            LogUnavailable(error.GetType().Name, error.Message, source, operation);
        }
        else
        {
            LogIfStillDown(news, failed, down);
        }

        if (startProbe)
        {
            _ = Task.Run(ProbeUntilBackAsync);
        }
    }

    /// <summary>One step of the outage under the lock; a summary that is due counts as written.</summary>
    private (OutageNews News, long FailedSinceSummary, TimeSpan Down, bool StartProbe) Observe(Func<StoreOutage, DateTimeOffset, OutageNews> step, bool claimProbe)
    {
        lock (_gate)
        {
            var startProbe = claimProbe && !_probing;
            _probing |= claimProbe;
            var now = time.GetUtcNow();
            var news = step(_outage, now);
            var failed = _outage.FailedSinceSummary;
            if (news == OutageNews.StillDown)
            {
                _outage.Summarized(now);
            }

            return (news, failed, now - (_outage.Since ?? now), startProbe);
        }
    }

    private void LogIfStillDown(OutageNews news, long failed, TimeSpan down)
    {
        if (news == OutageNews.StillDown)
        {
            LogStillDown((long)down.TotalSeconds, failed, (long)SummaryInterval.TotalSeconds);
        }
    }

    private async Task ProbeUntilBackAsync()
    {
        while (!_disposed.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(ProbeInterval, time, _disposed.Token);
                await store.PingAsync(_disposed.Token);
                TimeSpan? lasted;
                long failed;
                lock (_gate)
                {
                    failed = _outage.Failed;
                    lasted = _outage.Recover(time.GetUtcNow());
                    _probing = false;
                }

                if (lasted is { } duration)
                {
                    LogBack(duration.TotalSeconds, failed);
                }

                return;
            }
            catch (OperationCanceledException) when (_disposed.IsCancellationRequested)
            {
                return;
            }
            catch (Exception)
            {
                var (news, failed, down, _) = Observe(static (outage, now) => outage.Tick(now), claimProbe: false);
                LogIfStillDown(news, failed, down);
            }
        }
    }

    public void Dispose()
    {
        _disposed.Cancel();
        _disposed.Dispose();
    }

    [LoggerMessage(EventId = (int)LogEvents.StoreUnavailable, Level = LogLevel.Error, Message = "Job store unavailable ({ErrorType}: {Reason}), first seen by {Source} ({Operation}); store calls fail with JobStoreUnavailableException until it is back")]
    private partial void LogUnavailable(string errorType, string reason, string source, string operation);

    [LoggerMessage(EventId = (int)LogEvents.StoreStillUnavailable, Level = LogLevel.Warning, Message = "Job store still unavailable after {Seconds} s: {Failed} store call(s) failed in the last {Interval} s")]
    private partial void LogStillDown(long seconds, long failed, long interval);

    [LoggerMessage(EventId = (int)LogEvents.StoreBack, Level = LogLevel.Information, Message = "Job store is back after {Seconds:F1} s; {Failed} store call(s) failed while it was unavailable")]
    private partial void LogBack(double seconds, long failed);

    [LoggerMessage(EventId = (int)LogEvents.StoreError, Level = LogLevel.Error, Message = "{Source}: store failed to {Operation}; will retry")]
    private partial void LogStoreError(Exception exception, string source, string operation);

    [LoggerMessage(EventId = (int)LogEvents.StoreFailureDetail, Level = LogLevel.Debug, Message = "{Source}: store failed to {Operation}")]
    private partial void LogFailureDetail(Exception exception, string source, string operation);
}
