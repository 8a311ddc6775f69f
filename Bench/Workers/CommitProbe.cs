namespace OrleansJobs.Bench.Workers;

/// <summary>
/// With <c>ORLEANSJOBS_BENCH_COMMITS=1</c>, a silo prints its group commits every 2 s (count, rows
/// per commit, commit time, how long writes queued for them): the figures to read when the latency
/// of the store path is in question.
/// </summary>
internal static class CommitProbe
{
    private static readonly Lock Gate = new();
    private static readonly List<double> Durations = [];
    private static long _rows;
    private static double _queued;

    public static IDisposable? StartIfAsked()
    {
        if (Environment.GetEnvironmentVariable("ORLEANSJOBS_BENCH_COMMITS") != "1")
        {
            return null;
        }

        return SiloMeters.Listen(
            instrument => instrument.Name.StartsWith("orleansjobs.store.commit.", StringComparison.Ordinal),
            listener =>
            {
                listener.SetMeasurementEventCallback<double>((instrument, value, _, _) =>
                {
                    lock (Gate)
                    {
                        if (instrument.Name == "orleansjobs.store.commit.duration")
                        {
                            Durations.Add(value * 1000);
                        }
                        else
                        {
                            _queued += value * 1000;
                        }
                    }
                });
                listener.SetMeasurementEventCallback<long>((_, value, _, _) =>
                {
                    lock (Gate)
                    {
                        _rows += value;
                    }
                });
            },
            TimeSpan.FromSeconds(2),
            Print);
    }

    private static void Print()
    {
        lock (Gate)
        {
            if (Durations.Count == 0)
            {
                return;
            }

            Durations.Sort();
            var n = Durations.Count;
            Console.Error.WriteLine($"commits {n}, rows/commit {(double)_rows / n:F1}, commit ms p50 {Durations[n / 2]:F2} p99 {Durations[(int)(n * 0.99)]:F2}, queued ms avg {_queued / n:F2}");
            Durations.Clear();
            _rows = 0;
            _queued = 0;
        }
    }
}
