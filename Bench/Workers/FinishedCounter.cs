namespace OrleansJobs.Bench.Workers;

/// <summary>
/// A silo's finished jobs, from the grid's own counters (<c>orleansjobs.jobs.succeeded</c>, <c>orleansjobs.jobs.dead_lettered</c>),
/// which count an outcome only once its write has committed. Printed as "finished N" so the
/// benchmark can follow progress without counting a backlog of millions in the database.
/// </summary>
internal static class FinishedCounter
{
    private static long _finished;

    public static IDisposable Start() => SiloMeters.Listen(
        instrument => instrument.Name is "orleansjobs.jobs.succeeded" or "orleansjobs.jobs.dead_lettered",
        listener => listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref _finished, value)),
        TimeSpan.FromMilliseconds(50),
        () => Console.WriteLine($"finished {Interlocked.Read(ref _finished)}"));
}
