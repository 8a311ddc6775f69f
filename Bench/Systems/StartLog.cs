using System.Globalization;

namespace OrleansJobs.Bench.Systems;

/// <summary>Every handler start the workers recorded: run tag, enqueue time and start time (unix µs).</summary>
internal sealed class StartLog
{
    private readonly ILookup<int, (long Enqueued, long Started)> _byRun;

    private StartLog(IEnumerable<(int Run, long Enqueued, long Started)> starts) =>
        _byRun = starts.ToLookup(s => s.Run, s => (s.Enqueued, s.Started));

    public static StartLog Read(IEnumerable<string> files)
    {
        var starts = new List<(int, long, long)>();
        foreach (var file in files.Where(File.Exists))
        {
            foreach (var line in File.ReadLines(file))
            {
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length == 3)
                {
                    starts.Add((int.Parse(parts[0], CultureInfo.InvariantCulture), long.Parse(parts[1], CultureInfo.InvariantCulture), long.Parse(parts[2], CultureInfo.InvariantCulture)));
                }
            }
        }

        return new StartLog(starts);
    }

    /// <summary>Handler runs of a run (retries included).</summary>
    public int Runs(int run) => _byRun[run].Count();

    /// <summary>Enqueue → handler start of every start of a run, in milliseconds (for runs without retries, one per job).</summary>
    public double[] StartLatenciesMs(int run) => [.. _byRun[run].Select(s => (s.Started - s.Enqueued) / 1000.0)];

    /// <summary>Every handler start of a run, unix µs, in order.</summary>
    public IEnumerable<long> StartTimes(int run) => _byRun[run].Select(s => s.Started).Order();

    /// <summary>The first handler start of a run.</summary>
    public DateTimeOffset? FirstStart(int run) =>
        _byRun[run].Any() ? DateTimeOffset.UnixEpoch.AddTicks(_byRun[run].Min(s => s.Started) * 10) : null;
}
