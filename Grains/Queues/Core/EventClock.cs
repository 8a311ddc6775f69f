namespace OrleansJobs.Queues.Core;

/// <summary>
/// A clock that reads the time of the event the core is handling, so the parts it reuses that take a
/// <see cref="TimeProvider"/> (the token bucket) see event time, never the machine's.
/// </summary>
internal sealed class EventClock : TimeProvider
{
    public DateTimeOffset Now { get; set; }

    public override DateTimeOffset GetUtcNow() => Now;

    public override long GetTimestamp() => Now.UtcTicks;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;
}
