using System.Diagnostics.Metrics;

namespace OrleansJobs.Bench.Workers;

/// <summary>Listens in a silo process to some of the grid's instruments (meter <c>OrleansJobs</c>) and prints what they add up to, every period.</summary>
internal static class SiloMeters
{
    /// <summary>Enables the <paramref name="wanted"/> instruments, lets <paramref name="subscribe"/> set the callbacks, and calls <paramref name="print"/> every <paramref name="period"/> until disposed.</summary>
    public static IDisposable Listen(Func<Instrument, bool> wanted, Action<MeterListener> subscribe, TimeSpan period, Action print)
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == "OrleansJobs" && wanted(instrument))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        subscribe(listener);
        listener.Start();
        return new Listening(new Timer(_ => print(), null, TimeSpan.Zero, period), listener);
    }

    private sealed class Listening(Timer timer, MeterListener listener) : IDisposable
    {
        public void Dispose()
        {
            timer.Dispose();
            listener.Dispose();
        }
    }
}
