namespace OrleansJobs.Queues.Core;

/// <summary>
/// The queue's side of the silo's room (<see cref="IAttemptRoom"/>). Each attempt holds one unit from
/// its lease until its handler ends; the core takes units before it leases and gives one back as
/// each attempt leaves its budget. Short of room, it waits in line: one wait at a time, and units a
/// wait brings are used or given back within the event that brought them, so none lies idle.
/// </summary>
internal sealed class RoomClient(IAttemptRoom room)
{
    private int _granted;

    /// <summary>A wait for room is in flight.</summary>
    public bool Waiting { get; private set; }

    /// <summary>Takes up to <paramref name="wanted"/> units: first those a wait just brought, then what the room has free.</summary>
    public int Take(int wanted)
    {
        var taken = Math.Min(_granted, wanted);
        _granted -= taken;
        return taken < wanted ? taken + room.TryTake(wanted - taken) : taken;
    }

    public void Give(int units)
    {
        if (units > 0)
        {
            room.Give(units);
        }
    }

    /// <summary>Joins the line for <paramref name="wanted"/> more units, unless a wait is already in flight.</summary>
    public WaitForRoom? WaitFor(int wanted)
    {
        if (Waiting || wanted <= 0)
        {
            return null;
        }

        Waiting = true;
        return new WaitForRoom(wanted);
    }

    /// <summary>The wait ended with <paramref name="units"/> now held; use them in this event or give them back.</summary>
    public void Granted(int units)
    {
        Waiting = false;
        _granted += units;
    }

    /// <summary>Gives back what a wait brought and the event did not use.</summary>
    public void ReturnUnused()
    {
        Give(_granted);
        _granted = 0;
    }
}
