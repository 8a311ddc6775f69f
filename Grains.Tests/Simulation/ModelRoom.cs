using OrleansJobs.Queues.Core;

namespace OrleansJobs.Tests.Simulation;

/// <summary>
/// The silo's worker room as the simulator models it: a fixed capacity shared by the simulated queue
/// and a stand-in for the silo's other queues, which take and free units as the seed decides. One
/// <see cref="Activation"/> per queue activation holds the queue's units, as the real
/// <c>QueueRoom</c> does; a crash or hand-over drops it and what it held.
/// </summary>
internal sealed class ModelRoom(int capacity)
{
    public int Capacity { get; } = capacity;

    /// <summary>Units the silo's other queues hold.</summary>
    public int Others { get; private set; }

    public int InUse => Others + (Current?.Held ?? 0);

    public int Free => Capacity - InUse;

    public Activation? Current { get; private set; }

    public Activation Open()
    {
        Current?.Close();
        return Current = new Activation(this);
    }

    /// <summary>Other queues take up to <paramref name="units"/> of what is free (while the queue waits, they wait too).</summary>
    public void OthersTake(int units)
    {
        if (Current is not { Waiting: true })
        {
            Others += Math.Min(units, Math.Max(0, Free));
        }
    }

    /// <summary>Other queues give back up to <paramref name="units"/>, and a waiting queue is served.</summary>
    public void OthersGive(int units)
    {
        Others -= Math.Min(units, Others);
        if (Current?.Serve() is > 0 and var granted)
        {
            Current.Granted?.Invoke(granted);
        }
    }

    /// <summary>One activation's units; <see cref="Granted"/> tells the simulator a wait was served.</summary>
    public sealed class Activation(ModelRoom room) : IAttemptRoom
    {
        public int Held { get; private set; }

        public bool Waiting { get; private set; }

        private int _wanted;

        public bool Closed { get; private set; }

        /// <summary>Called with the units of a served wait, to deliver them to the core later.</summary>
        public Action<int>? Granted { get; set; }

        public int TryTake(int wanted)
        {
            if (Closed || Waiting || wanted <= 0)
            {
                return 0;
            }

            var taken = Math.Min(wanted, Math.Max(0, room.Free));
            Held += taken;
            return taken;
        }

        public void Give(int units)
        {
            if (units > Held)
            {
                throw new InvalidOperationException($"the queue gave back {units} units of room but holds {Held}");
            }

            Held -= units;
            var granted = Serve();
            if (granted > 0)
            {
                Granted?.Invoke(granted);
            }
        }

        public void Wait(int wanted)
        {
            if (Waiting)
            {
                throw new InvalidOperationException("the queue waits for room twice at once");
            }

            (Waiting, _wanted) = (true, wanted);
            var granted = Serve();
            if (granted > 0)
            {
                Granted?.Invoke(granted);
            }
        }

        public void Close()
        {
            Closed = true;
            Waiting = false;
            Held = 0;
        }

        /// <summary>Grants the wait what is free, if it waits; returns the units (already held).</summary>
        internal int Serve()
        {
            if (!Waiting || Closed || room.Free <= 0)
            {
                return 0;
            }

            var units = Math.Min(_wanted, room.Free);
            Held += units;
            Waiting = false;
            return units;
        }
    }
}
