using System.Diagnostics;
using OrleansJobs.Bench.Systems;

namespace OrleansJobs.Bench.Scenarios;

/// <summary>Waits for a system to finish work, watching its memory meanwhile.</summary>
internal static class Completion
{
    /// <summary>Polls until <paramref name="target"/> jobs are finished; returns when that was seen and the peak memory.</summary>
    public static async Task<(DateTimeOffset At, long PeakResident, long PeakHeap)> WaitAsync(IJobSystem system, long target, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        long peakResident = 0, peakHeap = 0;
        var lastReport = TimeSpan.Zero;
        while (true)
        {
            var (resident, heap) = system.Memory();
            peakResident = Math.Max(peakResident, resident);
            peakHeap = Math.Max(peakHeap, heap);
            var progress = await system.ProgressAsync();
            if (progress.Finished >= target)
            {
                return (DateTimeOffset.UtcNow, peakResident, peakHeap);
            }

            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"{system.Name} finished {progress.Finished} of {target} jobs in {timeout}.");
            }

            if (clock.Elapsed - lastReport > TimeSpan.FromSeconds(30))
            {
                lastReport = clock.Elapsed;
                Console.WriteLine($"    … {progress.Finished} of {target} finished");
            }

            await Task.Delay(100);
        }
    }
}
