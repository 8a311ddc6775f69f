using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using OrleansJobs.Bench.Infrastructure;
using OrleansJobs.Bench.Workers;
using OrleansJobs.Hosting;
using OrleansJobs.Policies;

namespace OrleansJobs.Bench.Scenarios;

/// <summary>How long the retry-storm scenario's phases last.</summary>
/// <param name="Healthy">The downstream serves normally before the outage.</param>
/// <param name="Outage">It serves ten times slower and fails half its calls.</param>
/// <param name="DrainLimit">Longest wait, after it recovers, for the backlog to drain.</param>
internal sealed record StormTimes(TimeSpan Healthy, TimeSpan Outage, TimeSpan DrainLimit);

/// <summary>
/// The retry storm: one tenant's queue calls a downstream that serves 500 calls/s (10 at once, 20 ms
/// each) under a steady 250 jobs/s; then for the outage the downstream answers ten times slower and
/// fails half its calls; then it recovers and the producer stops. Meanwhile another tenant trickles
/// 20 jobs/s that never touch the downstream, on the same silo's 64 worker slots. Run twice, on one
/// in-process silo over PostgreSQL: with the queue's fixed concurrency of 64 (what a person sets
/// today), and with adaptive concurrency and the circuit breaker on. Counted: downstream calls during
/// the outage, jobs dead-lettered (3 attempts each, backoff from 1 s), time to drain after
/// recovery, and the other tenant's wait to start in each phase.
/// </summary>
internal static class RetryStorm
{
    private const string Storm = "storm.call";
    private const string Healthy = "storm.healthy";
    private const int Slots = 64;
    private const double StormRate = 250;
    private const double HealthyRate = 20;

    public static async Task<IReadOnlyList<Figure>> RunAsync(LocalPostgres postgres, StormTimes times, Dictionary<string, IReadOnlyDictionary<string, string>> settings)
    {
        var figures = new List<Figure>();
        foreach (var protect in new[] { false, true })
        {
            var name = protect ? "protected" : "fixed";
            var database = $"bench_storm_{name}";
            var connection = await postgres.CreateDatabaseAsync(database);
            figures.Add(await RunOnceAsync(connection, protect, times));
            await postgres.DropDatabaseAsync(database);
        }

        settings["orleansjobs retry-storm"] = new Dictionary<string, string>
        {
            ["downstream"] = "10 calls at once, 20 ms each (500/s); outage: 200 ms each, half fail; callers time out after 2 s",
            ["load"] = $"{StormRate}/s to the storm queue (batches every 20 ms) until recovery; {HealthyRate}/s single enqueues to another tenant's queue throughout",
            ["storm_queue"] = "max concurrency 64, 3 attempts, backoff 1 s doubling to 30 s with jitter",
            ["protected"] = "adaptive concurrency (floor 2) and circuit breaker (30 % failures of at least 20 attempts in 5 s; 5 s break; 3 probes)",
            ["silo"] = $"1 silo in the bench process, {Slots} worker slots, PostgreSQL store",
            ["phases"] = $"healthy {times.Healthy.TotalSeconds:F0} s, outage {times.Outage.TotalSeconds:F0} s, then drain (at most {times.DrainLimit.TotalSeconds:F0} s)",
        };
        return figures;
    }

    private static async Task<Figure> RunOnceAsync(string connection, bool protect, StormTimes times)
    {
        var downstream = new SimulatedDownstream(capacity: 10, TimeSpan.FromMilliseconds(20), TimeSpan.FromSeconds(2));
        var starts = new HealthyStarts();
        using var host = BuildSilo(connection, protect, downstream, starts);
        await host.StartAsync();
        var jobs = host.Services.GetRequiredService<IJobClient>();
        Console.WriteLine($"  retry-storm ({(protect ? "protected" : "fixed")}): healthy {times.Healthy.TotalSeconds:F0} s, outage {times.Outage.TotalSeconds:F0} s, then drain");

        using var stopStorm = new CancellationTokenSource();
        using var stopHealthy = new CancellationTokenSource();
        var stormProducer = ProduceAsync(jobs, "storm", Storm, StormRate, batch: true, stopStorm.Token);
        var healthyProducer = ProduceAsync(jobs, "healthy", Healthy, HealthyRate, batch: false, stopHealthy.Token);
        var watch = new QueueWatch();
        using var stopWatching = new CancellationTokenSource();
        var watching = watch.RunAsync(jobs, stopWatching.Token);

        var begin = BenchPayload.UnixMicros();
        await Task.Delay(times.Healthy);
        var outageStart = BenchPayload.UnixMicros();
        var callsBefore = downstream.Calls;
        downstream.Degraded = true;
        await Task.Delay(times.Outage);
        downstream.Degraded = false;
        var recovered = BenchPayload.UnixMicros();
        await stopStorm.CancelAsync();
        var enqueued = await stormProducer;

        var drain = Stopwatch.StartNew();
        QueueStats stats;
        while (((stats = await jobs.GetQueueStatsAsync("storm", Storm)).Enqueued + stats.Scheduled + stats.Active) > 0 && drain.Elapsed < times.DrainLimit)
        {
            await Task.Delay(100);
        }

        var drained = stats.Enqueued + stats.Scheduled + stats.Active == 0 ? drain.Elapsed.TotalSeconds : (double?)null;
        var end = BenchPayload.UnixMicros();
        await stopHealthy.CancelAsync();
        await healthyProducer;
        await stopWatching.CancelAsync();
        await watching;
        await host.StopAsync();

        double? P99(long from, long to) => Percentile.Of(starts.Between(from, to), 99);
        return new Figure("retry-storm", "orleansjobs", protect ? "adaptive + breaker" : "fixed concurrency 64", enqueued,
        [
            new("outage calls", downstream.DegradedCalls),
            new("outage failed", downstream.DegradedFailures),
            new("dead-lettered", stats.DeadLettered),
            new("drain s", drained),
            new("peak backlog", watch.PeakBacklog),
            new("breaker opens", protect ? watch.BreakerOpens : null),
            new("least limit", watch.LeastLimit),
            new("other p99 before ms", P99(begin + 2_000_000, outageStart)),
            new("other p99 outage ms", P99(outageStart, recovered)),
            new("other p99 drain ms", P99(recovered, end)),
        ], $"{callsBefore:N0} calls before the outage; the other tenant's p99 is its jobs' wait from enqueue to handler start, per phase (the first 2 s left out)"
           + (drained is null ? $"; the backlog had not drained after {times.DrainLimit.TotalSeconds:F0} s ({stats.Enqueued + stats.Scheduled + stats.Active:N0} left)" : ""));
    }

    private static IHost BuildSilo(string connection, bool protect, SimulatedDownstream downstream, HealthyStarts starts)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        // Failures, retries and breaker moves are the scenario's intent, not news.
        builder.Logging.AddFilter("OrleansJobs.Queues.QueueGrain", LogLevel.None);
        builder.Services.AddSingleton(downstream).AddSingleton(starts);
        builder.UseOrleans(silo =>
        {
            silo.Configure<ClusterOptions>(o => o.ClusterId = o.ServiceId = "bench-storm");
            silo.ConfigureEndpoints(IPAddress.Loopback, FreePort.Next(), FreePort.Next(), listenOnAnyHostAddress: false);
            silo.AddOrleansJobs(o => o.MaxConcurrentJobsPerSilo = Slots)
                .UsePostgres(o => o.ConnectionString = connection)
                .AddJobHandler<StormPayload, DownstreamCallHandler>(Storm, type =>
                {
                    type.MaxConcurrency = 64;
                    type.MaxAttempts = 3;
                    type.Retry = new RetryPolicy { BaseDelay = TimeSpan.FromSeconds(1), Factor = 2, MaxDelay = TimeSpan.FromSeconds(30) };
                    if (protect)
                    {
                        type.AdaptiveConcurrency = new AdaptiveConcurrencyPolicy { MinConcurrency = 2 };
                        type.CircuitBreaker = new CircuitBreakerPolicy
                        {
                            FailureRatio = 0.3,
                            MinimumAttempts = 20,
                            SamplingWindow = TimeSpan.FromSeconds(5),
                            BreakFor = TimeSpan.FromSeconds(5),
                            Probes = 3,
                        };
                    }
                })
                .AddJobHandler<StormPayload, HealthyJobHandler>(Healthy, type => type.MaxConcurrency = 16);
        });
        return builder.Build();
    }

    /// <summary>Enqueues at <paramref name="rate"/> jobs/s (in 20 ms batches, or one per call) until stopped; returns how many.</summary>
    private static async Task<long> ProduceAsync(IJobClient jobs, string tenant, string jobType, double rate, bool batch, CancellationToken stop)
    {
        var interval = batch ? TimeSpan.FromMilliseconds(20) : TimeSpan.FromSeconds(1 / rate);
        var perTick = batch ? rate * interval.TotalSeconds : 1;
        var clock = Stopwatch.StartNew();
        long sent = 0;
        try
        {
            for (var tick = 1L; !stop.IsCancellationRequested; tick++)
            {
                var due = (long)(tick * perTick) - sent;
                var payloads = Enumerable.Range(0, (int)due).Select(_ => JsonSerializer.SerializeToUtf8Bytes(new StormPayload(BenchPayload.UnixMicros()), JsonSerializerOptions.Web)).ToArray();
                if (payloads.Length > 0)
                {
                    await jobs.EnqueueManyAsync([.. payloads.Select(p => new JobRequest(tenant, jobType, p))], stop);
                }

                sent += payloads.Length;
                var wait = (interval * tick) - clock.Elapsed;
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, stop);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }

        return sent;
    }

    /// <summary>Polls the storm queue's stats: its peak backlog, its least concurrency limit, how often its breaker opened.</summary>
    private sealed class QueueWatch
    {
        private BreakerState _last;

        public long PeakBacklog { get; private set; }

        public int? LeastLimit { get; private set; }

        public int BreakerOpens { get; private set; }

        public async Task RunAsync(IJobClient jobs, CancellationToken stop)
        {
            while (!stop.IsCancellationRequested)
            {
                var stats = await jobs.GetQueueStatsAsync("storm", Storm, CancellationToken.None);
                PeakBacklog = Math.Max(PeakBacklog, stats.Enqueued + stats.Scheduled);
                LeastLimit = Math.Min(LeastLimit ?? int.MaxValue, stats.ConcurrencyLimit);
                BreakerOpens += stats.Breaker == BreakerState.Open && _last != BreakerState.Open ? 1 : 0;
                _last = stats.Breaker;
                try
                {
                    await Task.Delay(100, stop);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }
}
