using System.Diagnostics;
using OrleansJobs.Bench.Workers;

namespace OrleansJobs.Bench.Systems;

/// <summary>The producer loop of the .NET systems: the same pacing and call timing as bench.js's.</summary>
internal static class LoadDriver
{
    /// <summary>Calls <paramref name="send"/> with each batch of the load and times every call.</summary>
    public static async Task<LoadResult> RunAsync(Load load, Func<string, BenchPayload[], Task> send)
    {
        var calls = (load.Count + load.Batch - 1) / load.Batch;
        var latencies = new double[calls];
        var clock = Stopwatch.StartNew();

        async Task Call(int call)
        {
            var size = Math.Min(load.Batch, load.Count - (call * load.Batch));
            var jobs = new BenchPayload[size];
            for (var i = 0; i < size; i++)
            {
                jobs[i] = BenchPayload.For(load.Shape, (call * load.Batch) + i);
            }

            var started = Stopwatch.GetTimestamp();
            await send(load.Queues[call % load.Queues.Length], jobs);
            latencies[call] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        }

        if (load.Rate is { } rate)
        {
            // Open loop: each call leaves at its own time whether or not earlier ones have returned,
            // so a slow system shows as latency instead of quietly lowering the offered rate.
            var inFlight = new List<Task>(calls);
            for (var call = 0; call < calls; call++)
            {
                var due = TimeSpan.FromSeconds(call * load.Batch / rate);
                var wait = due - clock.Elapsed;
                if (wait > TimeSpan.FromMilliseconds(1))
                {
                    await Task.Delay(wait);
                }

                var thisCall = call;
                inFlight.Add(Task.Run(() => Call(thisCall)));
            }

            await Task.WhenAll(inFlight);
        }
        else
        {
            var next = -1;
            await Task.WhenAll(Enumerable.Range(0, load.Producers).Select(_ => Task.Run(async () =>
            {
                int call;
                while ((call = Interlocked.Increment(ref next)) < calls)
                {
                    await Call(call);
                }
            })));
        }

        return new LoadResult(clock.Elapsed.TotalSeconds, latencies);
    }
}
