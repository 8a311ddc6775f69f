using OrleansJobs.Bench.Systems;
using OrleansJobs.Bench.Workers;

namespace OrleansJobs.Bench.Scenarios;

/// <summary>
/// The scenarios every system runs, the same way: loads through the system's own client, no-op
/// handlers unless stated, completion read from the system's own store.
/// </summary>
internal static class SharedScenarios
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(30);

    /// <summary>
    /// N jobs enqueued in bulk as fast as the producers go; processed/s from the first handler start
    /// to the last finish seen. Also returns the end-to-end rate, known at once, that sizes later loads.
    /// </summary>
    public static async Task<(PendingFigure Figure, double EndToEndRate)> DrainAsync(IJobSystem system, int jobs, string[] queues, int producers, int tag, int? batch = null, LoadShape? shape = null)
    {
        var perCall = Math.Min(batch ?? system.MaxBatch, system.MaxBatch);
        var before = await system.ProgressAsync();
        var started = DateTimeOffset.UtcNow;
        var load = await system.ProduceAsync(new Load(jobs, perCall, null, producers, queues, shape ?? new LoadShape(tag)));
        var (done, peakResident, peakHeap) = await Completion.WaitAsync(system, before.Finished + jobs, Timeout);
        return (starts => new Figure(perCall == 1 ? "drain, 1 job per call" : "drain", system.Name, system.Setup, jobs,
        [
            new("enqueue/s", jobs / load.Seconds),
            new("processed/s", Rate(jobs, starts.FirstStart(tag), done)),
            new("peak RSS MiB", peakResident / (double)(1 << 20)),
            new("peak GC heap MiB", peakHeap == 0 ? null : peakHeap / (double)(1 << 20)),
        ], $"{queues.Length} queues, {producers} producers, {Math.Min(perCall, jobs)} jobs per call"), jobs / (done - started).TotalSeconds);
    }

    /// <summary>Single-job enqueues (as a web request makes them) at a fixed rate, open loop.</summary>
    public static async Task<PendingFigure> SteadyAsync(IJobSystem system, string label, double rate, TimeSpan duration, string[] queues, int tag)
    {
        var jobs = (int)(rate * duration.TotalSeconds);
        var before = await system.ProgressAsync();
        var load = await system.ProduceAsync(new Load(jobs, 1, rate, 1, queues, new LoadShape(tag)));
        var (done, _, _) = await Completion.WaitAsync(system, before.Finished + jobs, Timeout);
        return starts =>
        {
            var start = starts.StartLatenciesMs(tag);
            return new Figure(label, system.Name, system.Setup, jobs,
            [
                new("offered/s", rate),
                new("done/s", Rate(jobs, starts.FirstStart(tag), done)),
                new("enqueue p50 ms", Percentile.Of(load.CallLatenciesMs, 50)),
                new("enqueue p99 ms", Percentile.Of(load.CallLatenciesMs, 99)),
                new("start p50 ms", Percentile.Of(start, 50)),
                new("start p95 ms", Percentile.Of(start, 95)),
                new("start p99 ms", Percentile.Of(start, 99)),
            ], $"{duration.TotalSeconds:0} s at {rate:0} jobs/s, 1 job per call");
        };
    }

    /// <summary>
    /// Every 10th job fails its first attempt and every 1000th (offset 1) fails every attempt: all
    /// but the poison jobs must succeed, and exactly the poison jobs must end dead.
    /// </summary>
    public static async Task<PendingFigure> RetriesAsync(IJobSystem system, int jobs, string[] queues, int producers, int tag)
    {
        var shape = new LoadShape(tag, FailOnceEvery: 10, PoisonEvery: 1000);
        var poison = shape.PoisonCount(jobs);
        var failOnce = Enumerable.Range(0, jobs).Count(n => n % 10 == 0);
        var before = await system.ProgressAsync();
        await system.ProduceAsync(new Load(jobs, system.MaxBatch, null, producers, queues, shape));
        var (done, _, _) = await Completion.WaitAsync(system, before.Finished + jobs, Timeout);
        var dead = (await system.ProgressAsync()).Dead - before.Dead;
        return starts =>
        {
            var expectedRuns = jobs + failOnce + poison;
            return new Figure("retries", system.Name, system.Setup, jobs,
            [
                new("processed/s", Rate(jobs, starts.FirstStart(tag), done)),
                new("dead", dead),
                new("dead expected", poison),
                new("handler runs", starts.Runs(tag)),
                new("runs expected", expectedRuns),
            ], dead == poison ? "dead-letter queue correct" : $"DEAD-LETTER QUEUE WRONG: {dead} dead, {poison} expected");
        };
    }

    /// <summary>
    /// The trickle alone first (tenant 'trickle' sending single jobs), then the same trickle while tenant
    /// 'flood' works off a bulk backlog: how much the flood adds to the trickle's start latency shows
    /// whether it starves a quiet tenant.
    /// </summary>
    public static async Task<PendingFigure> FairnessAsync(IJobSystem system, int flood, double trickleRate, TimeSpan duration, int producers, int floodTag, int trickleTag, int aloneTag)
    {
        var trickle = (int)(trickleRate * duration.TotalSeconds);
        var before = await system.ProgressAsync();
        var floorAlone = StoreFloor.MeasureAsync(system.Postgres, duration, trickleRate);
        await Task.WhenAll(system.ProduceAsync(new Load(trickle, 1, trickleRate, 1, ["trickle"], new LoadShape(aloneTag))), floorAlone);
        await Completion.WaitAsync(system, before.Finished + trickle, Timeout);

        before = await system.ProgressAsync();
        var floodLoad = system.ProduceAsync(new Load(flood, system.MaxBatch, null, producers, ["flood"], new LoadShape(floodTag)));
        var trickleLoad = system.ProduceAsync(new Load(trickle, 1, trickleRate, 1, ["trickle"], new LoadShape(trickleTag)));
        var floor = StoreFloor.MeasureAsync(system.Postgres, duration, trickleRate);
        await Task.WhenAll(floodLoad, trickleLoad, floor);
        var (done, _, _) = await Completion.WaitAsync(system, before.Finished + flood + trickle, Timeout);
        return starts =>
        {
            var alone = starts.StartLatenciesMs(aloneTag);
            var latencies = starts.StartLatenciesMs(trickleTag);
            return new Figure("fairness", system.Name, system.Setup, flood + trickle,
            [
                new("flood processed/s", Rate(flood + trickle, starts.FirstStart(floodTag), done)),
                new("alone p50 ms", Percentile.Of(alone, 50)),
                new("alone p99 ms", Percentile.Of(alone, 99)),
                new("trickle start p50 ms", Percentile.Of(latencies, 50)),
                new("trickle start p99 ms", Percentile.Of(latencies, 99)),
                new("trickle start max ms", Percentile.Of(latencies, 100)),
                new("store floor alone p99 ms", Percentile.Of(floorAlone.Result, 99)),
                new("store floor p99 ms", Percentile.Of(floor.Result, 99)),
            ], $"flood: {flood} jobs in bulk on tenant 'flood'; trickle: {trickleRate:0}/s for {duration.TotalSeconds:0} s on tenant 'trickle', alone first ('alone'), then with the flood");
        };
    }

    public static double? Rate(long jobs, DateTimeOffset? first, DateTimeOffset last) =>
        first is { } start ? jobs / Math.Max(0.001, (last - start).TotalSeconds) : null;
}
