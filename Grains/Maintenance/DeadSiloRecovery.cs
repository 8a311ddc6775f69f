using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using OrleansJobs.Diagnostics;

namespace OrleansJobs.Maintenance;

/// <summary>
/// Maintenance: the queues and schedules of a silo that died get a new owner now, not when a lease
/// expires or a reminder ticks.
/// <para><b>When.</b> Orleans declares a silo dead (membership, not a timeout). One survivor acts: the lowest active address.</para>
/// <para><b>Work.</b> <see cref="PendingQueueWaker.WakeAllAsync"/>: the dead silo's queues activate elsewhere and re-run the
/// attempts it left active; its delayed jobs and schedules get timers again.</para>
/// <para><b>On failure.</b> The waker retries until it succeeds or this silo stops; reminders are the backstop.</para>
/// </summary>
internal sealed partial class DeadSiloRecovery(
    IClusterMembershipService membership,
    ILocalSiloDetails localSilo,
    PendingQueueWaker waker,
    ILogger<DeadSiloRecovery> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    private readonly CancellationTokenSource _stopping = new();
    private Task _watching = Task.CompletedTask;

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(
            nameof(DeadSiloRecovery),
            ServiceLifecycleStage.Active,
            (CancellationToken ct) =>
            {
                _watching = Task.Run(() => WatchAsync(_stopping.Token));
                return Task.CompletedTask;
            },
            async (CancellationToken ct) =>
            {
                _stopping.Cancel();
                await _watching.WaitAsync(ct).ContinueWith(static _ => { }, TaskScheduler.Default);
            });

    private async Task WatchAsync(CancellationToken cancellationToken)
    {
        ClusterMembershipSnapshot? previous = null;
        try
        {
            await foreach (var snapshot in membership.MembershipUpdates.WithCancellation(cancellationToken))
            {
                var died = previous is null
                    ? []
                    : snapshot.Members.Values
                        .Where(m => m.Status == SiloStatus.Dead && previous.Members.TryGetValue(m.SiloAddress, out var before) && before.Status != SiloStatus.Dead)
                        .Select(m => m.SiloAddress)
                        .ToList();
                previous = snapshot;
                if (died.Count > 0 && IsRecoveryLeader(snapshot))
                {
                    LogSiloDied(string.Join(", ", died));
                    await waker.WakeAllAsync($"silo {string.Join(", ", died)} declared dead", cancellationToken);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private bool IsRecoveryLeader(ClusterMembershipSnapshot snapshot) =>
        snapshot.Members.Values
            .Where(m => m.Status == SiloStatus.Active)
            .Select(m => m.SiloAddress)
            .Order()
            .FirstOrDefault() == localSilo.SiloAddress;

    [LoggerMessage(EventId = (int)LogEvents.SiloDeclaredDead, Level = LogLevel.Warning, Message = "Silo(s) {Silos} declared dead: waking queues with pending work so they move to live silos")]
    private partial void LogSiloDied(string silos);
}
