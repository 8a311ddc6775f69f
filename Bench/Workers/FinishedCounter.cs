using System.Diagnostics.Metrics;

namespace OrleansJobs.Bench.Workers;

/// <summary>
/// A silo's finished jobs, from the grid's own counters (<c>jobs.succeeded</c>, <c>jobs.dead_lettered</c>),
/// which count an outcome only once its write has committed. Printed as "finished N" so the
/// benchmark can follow progress without counting a backlog of millions in the database.
/// </summary>
internal static class FinishedCounter
{
    private static long _finished;

    public static IDisposable Start()
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == "OrleansJobs" && instrument.Name is "jobs.succeeded" or "jobs.dead_lettered")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref _finished, value));
        listener.Start();
        var timer = new Timer(_ => Console.WriteLine($"finished {Interlocked.Read(ref _finished)}"), null, TimeSpan.Zero, TimeSpan.FromMilliseconds(50));
        return new Stop(timer, listener);
    }

    private sealed class Stop(Timer timer, MeterListener listener) : IDisposable
    {
        public void Dispose()
        {
            timer.Dispose();
            listener.Dispose();
        }
    }
}
