using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace OrleansJobs.Bench.Workers;

/// <summary>
/// Notes every handler start in a worker process and writes them out when the process stops, one
/// "run enqueue_us start_us" line each, for the benchmark to turn into latencies and rates.
/// </summary>
public static class StartRecorder
{
    private static readonly ConcurrentQueue<(int Run, long Enqueued, long Started)> Starts = new();

    public static void Record(BenchPayload job) => Starts.Enqueue((job.R, job.T, BenchPayload.UnixMicros()));

    public static void WriteTo(string path)
    {
        var text = new StringBuilder();
        foreach (var (run, enqueued, started) in Starts)
        {
            text.Append(CultureInfo.InvariantCulture, $"{run} {enqueued} {started}\n");
        }

        File.WriteAllText(path, text.ToString());
    }
}
