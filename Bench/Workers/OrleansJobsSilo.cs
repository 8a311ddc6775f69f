using System.Net;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using OrleansJobs.Hosting;
using OrleansJobs.Policies;

namespace OrleansJobs.Bench.Workers;

/// <summary>
/// One silo of the benchmark's OrleansJobs cluster, in its own process: the grid on PostgreSQL as
/// production runs it (<c>AddOrleansJobs().UsePostgres</c>), with the benchmark's job type and no
/// HTTP API or dashboard. Prints "ready" once it serves, then its GC heap every second and its
/// finished jobs every 50 ms.
/// </summary>
internal static class OrleansJobsSilo
{
    public const string JobType = "bench.job";

    public static async Task<int> RunAsync(string connection, int siloPort, int gatewayPort, int concurrency, int slots, string startsFile)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        // Per-job lines (failures, retries, dead letters) are the scenarios' intent, not news.
        builder.Logging.AddFilter("OrleansJobs.Queues.QueueGrain", LogLevel.None);
        builder.UseOrleans(silo =>
        {
            silo.Configure<ClusterOptions>(o => o.ClusterId = o.ServiceId = "bench");
            silo.ConfigureEndpoints(IPAddress.Loopback, siloPort, gatewayPort, listenOnAnyHostAddress: false);
            silo.AddOrleansJobs(o => o.MaxConcurrentJobsPerSilo = slots)
                .UsePostgres(o => o.ConnectionString = connection)
                .AddJobHandler<BenchPayload, BenchJobHandler>(JobType, type =>
                {
                    type.MaxConcurrency = concurrency;
                    type.MaxAttempts = 2;
                    // The same 1 s retry delay the Hangfire and BullMQ runs use.
                    type.Retry = new RetryPolicy { BaseDelay = TimeSpan.FromSeconds(1), MaxDelay = TimeSpan.FromSeconds(1) };
                });
        });
        using var host = builder.Build();
        using var commits = CommitProbe.StartIfAsked();
        using var finished = FinishedCounter.Start();
        await host.StartAsync();
        Console.WriteLine("ready");
        using var heap = new Timer(_ => Console.WriteLine($"heap {GC.GetGCMemoryInfo().HeapSizeBytes}"), null, TimeSpan.Zero, TimeSpan.FromSeconds(1));
        await host.WaitForShutdownAsync();
        StartRecorder.WriteTo(startsFile);
        return 0;
    }
}
