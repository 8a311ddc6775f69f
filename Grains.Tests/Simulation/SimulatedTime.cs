namespace OrleansJobs.Tests.Simulation;

/// <summary>The simulator's clock, for the pure parts that read a <see cref="TimeProvider"/> (the tenant's permit pool).</summary>
internal sealed class SimulatedTime(Func<DateTimeOffset> now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now();
}
