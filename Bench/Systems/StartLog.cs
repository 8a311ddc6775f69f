using System.Globalization;

namespace OrleansJobs.Bench.Systems;

/// <summary>Every handler start the workers recorded: run tag, enqueue time and start time (unix µs).</summary>
internal sealed class StartLog
{
    private readonly ILookup<int, (int Worker, long Enqueued, long Started)> _byRun;
    private readonly int _workers;

    private StartLog(IEnumerable<(int Run, int Worker, long Enqueued, long Started)> starts, int workers)
    {
        _byRun = starts.ToLookup(s => s.Run, s => (s.Worker, s.Enqueued, s.Started));
        _workers = workers;
    }

    /// <summary>Reads the workers' files, then deletes them; a start's worker is the index of its file.</summary>
    public static StartLog Collect(IReadOnlyList<string> files)
    {
        var log = Read(files);
        foreach (var file in files)
        {
            File.Delete(file);
        }

        return log;
    }

    private static StartLog Read(IReadOnlyList<string> files)
    {
        var starts = new List<(int, int, long, long)>();
        for (var worker = 0; worker < files.Count; worker++)
        {
            if (!File.Exists(files[worker]))
            {
                continue;
            }

            foreach (var line in File.ReadLines(files[worker]))
            {
                var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length == 3)
                {
                    starts.Add((int.Parse(parts[0], CultureInfo.InvariantCulture), worker, long.Parse(parts[1], CultureInfo.InvariantCulture), long.Parse(parts[2], CultureInfo.InvariantCulture)));
                }
            }
        }

        return new StartLog(starts, files.Count);
    }

    /// <summary>Each worker's handler runs of a run and the seconds from its first start to its last, in the order the files were given.</summary>
    public (int Runs, double Seconds)[] RunsPerWorker(int run) =>
        [.. Enumerable.Range(0, _workers).Select(worker =>
        {
            var starts = _byRun[run].Where(s => s.Worker == worker).Select(s => s.Started).ToList();
            return starts.Count == 0 ? (0, 0.0) : (starts.Count, (starts.Max() - starts.Min()) / 1e6);
        })];

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
