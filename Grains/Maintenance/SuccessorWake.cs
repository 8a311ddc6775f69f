using Microsoft.Extensions.Logging;
using OrleansJobs.Diagnostics;

namespace OrleansJobs.Maintenance;

/// <summary>
/// Maintenance: a grain Orleans deactivated while it still owed work, on a silo that keeps running,
/// comes back at once. Orleans does that when the silo holding the grain's directory entry dies (even
/// after that silo's death already woke the grain), under memory pressure, or on a forced
/// collection; the grain's timers die with it, and nothing else would activate it before its next
/// reminder tick, up to a minute later.
/// <para><b>When.</b> A queue or schedule deactivates with work pending, for any reason but the silo
/// shutting down (the survivors' <see cref="DeadSiloRecovery"/> covers that) or its own request.</para>
/// <para><b>Work.</b> One wake call to itself, not awaited, which Orleans forwards to the new activation.</para>
/// <para><b>On failure.</b> Logged; the grain's reminder brings it back within its period.</para>
/// </summary>
internal static partial class SuccessorWake
{
    public static bool IsNeeded(DeactivationReason reason) =>
        reason.ReasonCode is not (DeactivationReasonCode.ShuttingDown or DeactivationReasonCode.ApplicationRequested);

    /// <summary>
    /// Sends the wake without awaiting it: the call reaches this activation while it deactivates, and
    /// Orleans forwards it to the new activation once this one is gone.
    /// </summary>
    public static void Send(ILogger logger, string grain, DeactivationReason reason, Func<Task> wake)
    {
        LogWaking(logger, grain, reason.ReasonCode.ToString());
        _ = wake().ContinueWith(
            static (task, state) =>
            {
                var (logger, grain) = ((ILogger, string))state!;
                LogWakeFailed(logger, task.Exception!.GetBaseException(), grain);
            },
            (logger, grain),
            CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted,
            TaskScheduler.Default);
    }

    [LoggerMessage(EventId = (int)LogEvents.SuccessorWoken, Level = LogLevel.Information, Message = "{Grain} deactivated ({Reason}) with work pending: waking its successor now")]
    private static partial void LogWaking(ILogger logger, string grain, string reason);

    [LoggerMessage(EventId = (int)LogEvents.SuccessorWakeFailed, Level = LogLevel.Warning, Message = "{Grain} could not wake its successor; its reminder will")]
    private static partial void LogWakeFailed(ILogger logger, Exception exception, string grain);
}
