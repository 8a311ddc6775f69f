using System.Reflection;
using OrleansJobs.Diagnostics;

namespace OrleansJobs.Execution;

/// <summary>
/// What one silo says of itself for the silos page: its handler slots (<paramref name="Slots"/>,
/// <paramref name="Running"/>, <paramref name="WaitingForSlot"/>), the room its queues lease in
/// (<paramref name="RoomInUse"/>, <paramref name="QueuesWaitingForRoom"/>), the queues it owns, the
/// attempts its handlers ended per second over the last ten seconds, and the versions it runs.
/// </summary>
[GenerateSerializer, Immutable]
internal sealed record SiloReport(
    [property: Id(0)] int Slots,
    [property: Id(1)] int Running,
    [property: Id(2)] int WaitingForSlot,
    [property: Id(3)] int RoomInUse,
    [property: Id(4)] int QueuesWaitingForRoom,
    [property: Id(5)] int QueuesOwned,
    [property: Id(6)] double EndedPerSecond,
    [property: Id(7)] string Version,
    [property: Id(8)] string OrleansVersion)
{
    private static readonly string GridVersion = VersionOf(typeof(SiloReport).Assembly);
    private static readonly string RuntimeVersion = VersionOf(typeof(Grain).Assembly);

    public static SiloReport Now(JobExecutor executor, WorkerRoom room, QueueGauges gauges)
    {
        var load = executor.Load;
        return new SiloReport(load.Slots, load.Running, load.Waiting, room.InUse, room.Waiting, gauges.Count, load.EndedPerSecond, GridVersion, RuntimeVersion);
    }

    private static string VersionOf(Assembly assembly)
    {
        var version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? assembly.GetName().Version?.ToString() ?? "unknown";

        // Builds append the commit: this one as "0.1.0+3f2a…" (shown with its first seven characters), Orleans
        // as "10.4.2. Commit Hash: …" (shown without).
        var plus = version.IndexOf('+');
        if (plus >= 0)
        {
            return version[..Math.Min(version.Length, plus + 8)];
        }

        var space = version.IndexOf(' ');
        return space >= 0 ? version[..space].TrimEnd('.') : version;
    }
}
