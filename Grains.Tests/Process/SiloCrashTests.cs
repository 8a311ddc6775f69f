using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace OrleansJobs.Tests.Process;

/// <summary>The real silo process, killed and stopped for real: acknowledged jobs must survive.</summary>
public sealed class SiloCrashTests(ITestOutputHelper output) : IDisposable
{
    private const string SleepType = "demo.sleep";
    private readonly string _folder = Directory.CreateTempSubdirectory("orleansjobs-process-").FullName;
    private readonly string _tenant = "crash" + Guid.NewGuid().ToString("N")[..8];

    private string DataPath => Path.Combine(_folder, "jobs.db");

    /// <summary>Enqueues through an external Orleans client, as a web app would; returns the acknowledged ids.</summary>
    private async Task<List<JobId>> EnqueueSleepJobsAsync(int gatewayPort, int count, int milliseconds, TimeSpan? delay = null)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.UseOrleansClient(client => client.UseLocalhostClustering(gatewayPort));
        builder.Services.AddOrleansJobsClient();
        using var host = builder.Build();
        await host.StartAsync();
        var jobs = host.Services.GetRequiredService<IJobClient>();
        var acknowledged = new List<JobId>();
        var payload = System.Text.Encoding.UTF8.GetBytes($"{{\"milliseconds\":{milliseconds}}}");
        foreach (var chunk in Enumerable.Range(0, count).Chunk(100))
        {
            acknowledged.AddRange(await jobs.EnqueueManyAsync(chunk.Select(_ => new JobRequest(_tenant, SleepType, payload, new EnqueueOptions { Delay = delay })).ToList()));
        }

        await host.StopAsync();
        return acknowledged;
    }

    [Fact]
    public async Task Every_acknowledged_job_completes_after_a_kill_minus_9_mid_run()
    {
        const int count = 1_000;
        var (siloPort, gatewayPort) = (SiloProcess.FreePort(), SiloProcess.FreePort());
        var store = new StoreProbe(DataPath);

        List<JobId> acknowledged;
        int succeededAtCrash, activeAtCrash;
        await using (var silo = await SiloProcess.StartAsync(DataPath, siloPort, gatewayPort, sampleConcurrency: 32))
        {
            acknowledged = await EnqueueSleepJobsAsync(gatewayPort, count, milliseconds: 200);
            await store.WaitForAsync(s => s.Count(_tenant, JobState.Succeeded) >= 100, "100 jobs to succeed", TimeSpan.FromSeconds(60));
            silo.Crash();
            succeededAtCrash = store.Count(_tenant, JobState.Succeeded);
            activeAtCrash = store.Count(_tenant, JobState.Active);
        }

        Assert.Equal(count, acknowledged.Distinct().Count());
        Assert.True(succeededAtCrash < count, "the crash came too late to test anything");
        Assert.True(activeAtCrash > 0, "no job was running at the crash");

        await using (await SiloProcess.StartAsync(DataPath, siloPort, gatewayPort, sampleConcurrency: 32))
        {
            await store.WaitForAsync(
                s => s.Jobs(_tenant).Count(j => j.Value.State == JobState.Succeeded) == count,
                "every acknowledged job to succeed after restart",
                TimeSpan.FromSeconds(120));
        }

        var final = store.Jobs(_tenant);
        Assert.All(acknowledged, id => Assert.Equal(JobState.Succeeded, final[id].State));
        var rerun = final.Values.Count(j => j.Attempt > 1);
        output.WriteLine($"{count} acknowledged; {succeededAtCrash} done and {activeAtCrash} running at kill -9; after restart all {count} succeeded; {rerun} ran more than once (the attempts cut off by the crash).");
        Assert.InRange(rerun, 1, activeAtCrash);
    }

    [Fact]
    public async Task A_graceful_stop_lets_running_jobs_finish_and_the_rest_wait_in_the_store()
    {
        var (siloPort, gatewayPort) = (SiloProcess.FreePort(), SiloProcess.FreePort());
        var store = new StoreProbe(DataPath);
        await using var silo = await SiloProcess.StartAsync(DataPath, siloPort, gatewayPort, sampleConcurrency: 8);
        var acknowledged = await EnqueueSleepJobsAsync(gatewayPort, 100, milliseconds: 1_500);
        await store.WaitForAsync(s => s.Count(_tenant, JobState.Active) > 0, "jobs to start", TimeSpan.FromSeconds(30));

        await silo.StopGracefullyAsync(TimeSpan.FromSeconds(60));

        var jobs = store.Jobs(_tenant);
        output.WriteLine($"After SIGTERM: {jobs.Values.Count(j => j.State == JobState.Succeeded)} succeeded, {jobs.Values.Count(j => j.State == JobState.Enqueued)} waiting, exit code {silo.ExitCode}.");
        Assert.Equal(0, silo.ExitCode);
        Assert.DoesNotContain(jobs.Values, j => j.State == JobState.Active);
        Assert.True(jobs.Values.Count(j => j.State == JobState.Succeeded) >= 8, "the running jobs should have finished");
        Assert.Equal(acknowledged.Count, jobs.Count);
        Assert.DoesNotContain(jobs.Values, j => j.Attempt > 1);
        Assert.DoesNotMatch(@"(?m)^(fail|crit):", silo.Output);
    }

    [Fact]
    public async Task A_stop_that_outlasts_the_drain_timeout_warns_once_and_logs_no_failure()
    {
        var (siloPort, gatewayPort) = (SiloProcess.FreePort(), SiloProcess.FreePort());
        var store = new StoreProbe(DataPath);
        await using var silo = await SiloProcess.StartAsync(
        [
            $"--OrleansJobs:DataPath={DataPath}",
            $"--OrleansJobs:SiloPort={siloPort}",
            $"--OrleansJobs:GatewayPort={gatewayPort}",
            "--OrleansJobs:SampleConcurrency=4",
        ]);

        // Longer than the default drain (30 s), which is as long as Orleans' own default deactivation timeout.
        await EnqueueSleepJobsAsync(gatewayPort, 4, milliseconds: 45_000);
        await store.WaitForAsync(s => s.Count(_tenant, JobState.Active) == 4, "the jobs to start", TimeSpan.FromSeconds(30));

        await silo.StopGracefullyAsync(TimeSpan.FromSeconds(90));

        output.WriteLine(silo.Output);
        Assert.Equal(0, silo.ExitCode);
        Assert.Contains("deactivated with 4 job(s) still running; they run again on the next owner", silo.Output);
        Assert.DoesNotContain("Error thrown from OnDeactivateAsync", silo.Output);

        // Orleans' in-memory reminder table lived in a grain deactivated with the others, and the reminder
        // service's reads during the drain logged errors; the embedded silo's table is in-process now.
        Assert.DoesNotMatch(@"(?m)^(\S+ )?(fail|crit):", silo.Output);
    }

    [Fact]
    public async Task Delayed_jobs_fire_on_time_after_a_crash()
    {
        var delay = TimeSpan.FromSeconds(10);
        var tolerance = TimeSpan.FromSeconds(2);
        var (siloPort, gatewayPort) = (SiloProcess.FreePort(), SiloProcess.FreePort());
        var store = new StoreProbe(DataPath);
        List<JobId> acknowledged;
        await using (var silo = await SiloProcess.StartAsync(DataPath, siloPort, gatewayPort))
        {
            acknowledged = await EnqueueSleepJobsAsync(gatewayPort, 20, milliseconds: 1, delay);
            silo.Crash();
        }

        Assert.All(store.Jobs(_tenant).Values, j => Assert.Equal(JobState.Scheduled, j.State));
        await using (await SiloProcess.StartAsync(DataPath, siloPort, gatewayPort))
        {
            await store.WaitForAsync(s => s.Count(_tenant, JobState.Succeeded) == acknowledged.Count, "the delayed jobs to run", delay + TimeSpan.FromSeconds(30));
        }

        var jobs = store.Jobs(_tenant);
        var lateness = acknowledged.Select(id => jobs[id].StartedAt!.Value - jobs[id].RunAt).ToList();
        output.WriteLine($"Delayed {delay.TotalSeconds} s, silo killed and restarted before they were due: started {lateness.Min().TotalMilliseconds:F0}–{lateness.Max().TotalMilliseconds:F0} ms after their run-at (tolerance {tolerance.TotalSeconds} s).");
        Assert.All(lateness, late => Assert.InRange(late, TimeSpan.Zero, tolerance));
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }
}
