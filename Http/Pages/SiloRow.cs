using System.ComponentModel;

namespace OrleansJobs.Http.Pages;

/// <summary>
/// One silo on the silos page: membership's view of it and, when it answered, its own figures (null when
/// it is not active or did not answer in time). Public only because Razor components are.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed record SiloRow
{
    internal SiloRow(Execution.SiloEntry entry)
    {
        Address = entry.Address;
        Name = entry.Name;
        Host = entry.Host;
        Status = entry.Status.ToString().ToLowerInvariant();
        IsActive = entry.Status == Orleans.Runtime.SiloStatus.Active;
        StartedAt = entry.StartedAt;
        LastAlive = entry.LastAlive;
        IsLocal = entry.IsLocal;
        if (entry.Report is { } report)
        {
            Answered = true;
            Slots = report.Slots;
            Running = report.Running;
            WaitingForSlot = report.WaitingForSlot;
            RoomInUse = report.RoomInUse;
            QueuesWaitingForRoom = report.QueuesWaitingForRoom;
            QueuesOwned = report.QueuesOwned;
            EndedPerSecond = report.EndedPerSecond;
            Version = report.Version;
            OrleansVersion = report.OrleansVersion;
        }
    }

    public string Address { get; }

    public string Name { get; }

    public string Host { get; }

    /// <summary>Membership's status, in lower case (active, joining, shuttingdown, dead…).</summary>
    public string Status { get; }

    public bool IsActive { get; }

    public DateTimeOffset StartedAt { get; }

    /// <summary>When the silo last told membership it was alive.</summary>
    public DateTimeOffset LastAlive { get; }

    /// <summary>Whether this is the silo that drew the page.</summary>
    public bool IsLocal { get; }

    /// <summary>Whether the silo answered; the figures below are zero when it did not.</summary>
    public bool Answered { get; }

    public int Slots { get; }

    public int Running { get; }

    public int WaitingForSlot { get; }

    public int RoomInUse { get; }

    public int QueuesWaitingForRoom { get; }

    public int QueuesOwned { get; }

    public double EndedPerSecond { get; }

    public string? Version { get; }

    public string? OrleansVersion { get; }
}
