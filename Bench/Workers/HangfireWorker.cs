using Hangfire;
using Hangfire.PostgreSql;

namespace OrleansJobs.Bench.Workers;

/// <summary>
/// A Hangfire server in its own process on Hangfire.PostgreSql, configured as Hangfire's
/// documentation suggests for throughput, with the same retry rule as the other systems.
/// </summary>
internal static class HangfireWorker
{
    public static PostgreSqlStorageOptions StorageOptions => new()
    {
        // Polling every 100 ms instead of the 15 s default. LISTEN/NOTIFY (EnableLongPolling) was
        // tried: in one quick run a fetched job was never run, left for the 30 min invisibility timeout.
        QueuePollInterval = TimeSpan.FromMilliseconds(100),
        PrepareSchemaIfNecessary = true,
    };

    /// <summary>One retry after 1 s, then the Failed state (Hangfire's dead letters).</summary>
    public static void UseBenchRetryRule()
    {
        GlobalJobFilters.Filters.Remove(typeof(AutomaticRetryAttribute));
        GlobalJobFilters.Filters.Add(new AutomaticRetryAttribute { Attempts = 1, DelaysInSeconds = [1], OnAttemptsExceeded = AttemptsExceededAction.Fail });
    }

    public static async Task<int> RunAsync(string connection, int workers, string[] queues, string startsFile)
    {
        GlobalConfiguration.Configuration
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UsePostgreSqlStorage(o => o.UseNpgsqlConnection(connection), StorageOptions);
        UseBenchRetryRule();
        var stop = new TaskCompletionSource();
        using var signal = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            stop.TrySetResult();
        });
        using (new BackgroundJobServer(new BackgroundJobServerOptions
        {
            WorkerCount = workers,
            Queues = queues,
            // Retries are scheduled jobs: look for due ones every second, not every 15 s.
            SchedulePollingInterval = TimeSpan.FromSeconds(1),
        }))
        {
            Console.WriteLine("ready");
            using var heap = new Timer(_ => Console.WriteLine($"heap {GC.GetGCMemoryInfo().HeapSizeBytes}"), null, TimeSpan.Zero, TimeSpan.FromSeconds(1));
            await stop.Task;
        }

        StartRecorder.WriteTo(startsFile);
        return 0;
    }
}
