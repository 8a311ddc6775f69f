using System.Collections.Concurrent;
using System.Diagnostics;
using Xunit.Abstractions;

namespace OrleansJobs.Tests.Process;

/// <summary>Real silos on a real PostgreSQL, through a database restart, a rolling restart and a crash with timers pending.</summary>
public sealed class PostgresResilienceTests(ITestOutputHelper output)
{
    private readonly string _tenants = "r" + Guid.NewGuid().ToString("N")[..6] + "-";

    /// <summary>Enqueues one job at a time from several loops until stopped, keeping every id acknowledged and every error.</summary>
    private sealed class Producers(IJobClient jobs, string tenantPrefix, int loops)
    {
        private readonly CancellationTokenSource _stop = new();
        private Task[] _loops = [];

        public ConcurrentBag<JobId> Acknowledged { get; } = [];

        public ConcurrentBag<Exception> Errors { get; } = [];

        public void Start() => _loops = Enumerable.Range(0, loops).Select(loop => Task.Run(async () =>
        {
            for (var n = 0; !_stop.IsCancellationRequested; n++)
            {
                try
                {
                    Acknowledged.Add(await jobs.EnqueueAsync($"{tenantPrefix}{(loop + n) % 8}", "demo.sleep", new { milliseconds = 20 }));
                }
                catch (Exception ex)
                {
                    Errors.Add(ex);
                    await Task.Delay(50);
                }
            }
        })).ToArray();

        public async Task StopAsync()
        {
            _stop.Cancel();
            await Task.WhenAll(_loops);
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out after {timeout} waiting for: {what}");
            }

            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task Enqueues_during_a_PostgreSQL_restart_fail_clearly_and_every_acknowledged_job_completes()
    {
        await using var server = await ThrowawayPostgres.StartAsync();
        await using var cluster = await PostgresCluster.StartAsync(size: 2, sampleConcurrency: 8, server.ConnectionString,
            ["--Logging:LogLevel:OrleansJobs.Diagnostics.StoreOutageLog=Information"]);
        var producers = new Producers(await cluster.ClientAsync(), _tenants, loops: 4);
        producers.Start();
        await WaitUntilAsync(() => producers.Acknowledged.Count >= 500, "500 acknowledged enqueues", TimeSpan.FromSeconds(60));

        await server.StopAsync();
        var acknowledgedAtStop = producers.Acknowledged.Count;
        await WaitUntilAsync(() => producers.Errors.Count >= 20, "enqueues to fail while PostgreSQL is down", TimeSpan.FromSeconds(30));
        var acknowledgedDuringOutage = producers.Acknowledged.Count - acknowledgedAtStop;
        await server.StartAgainAsync();
        var clock = Stopwatch.StartNew();

        // Queues activating for the first time after the restart read the store on the pools' dead connections.
        var client = await cluster.ClientAsync();
        var fresh = new List<JobId>();
        foreach (var tenant in Enumerable.Range(0, 8).Select(i => $"{_tenants}n{i}"))
        {
            try
            {
                fresh.Add(await client.EnqueueAsync(tenant, "demo.sleep", new { milliseconds = 20 }));
            }
            catch (Exception ex)
            {
                producers.Errors.Add(ex);
            }
        }

        await WaitUntilAsync(() => producers.Acknowledged.Count >= acknowledgedAtStop + 500, "enqueues to succeed again", TimeSpan.FromSeconds(60));
        var recoveredAfter = clock.Elapsed;
        await producers.StopAsync();

        var acknowledged = producers.Acknowledged.Concat(fresh).ToList();
        await cluster.WaitForAsync(_tenants, jobs => jobs.Count(j => j.State == JobState.Succeeded) >= acknowledged.Count, "every acknowledged job to succeed", TimeSpan.FromMinutes(3));
        var jobs = await cluster.JobsAsync(_tenants);
        output.WriteLine($"{acknowledged.Count} enqueues acknowledged, {producers.Errors.Count} refused while PostgreSQL was down " +
            $"({acknowledgedDuringOutage} in-flight commits acknowledged just as it stopped); enqueues worked again {recoveredAfter.TotalSeconds:F1} s after it restarted; " +
            $"{fresh.Count} of 8 queues activated just after the restart took their job; every acknowledged job succeeded; {jobs.Count - acknowledged.Count} stored but unacknowledged.");
        Assert.All(producers.Errors, e => Assert.IsType<JobStoreUnavailableException>(e));
        Assert.All(acknowledged, id => Assert.Equal(JobState.Succeeded, jobs[id].State));

        // The outage reads as a few lines per silo (gone, maybe still gone, back), not a stack trace per refused call.
        var logs = string.Join('\n', cluster.SiloOutputs);
        var unavailable = System.Text.RegularExpressions.Regex.Count(logs, "Job store unavailable");
        output.WriteLine($"{unavailable} 'unavailable' line(s), {System.Text.RegularExpressions.Regex.Count(logs, "Job store is back")} 'back' line(s) for {producers.Errors.Count} refused enqueues");
        try
        {
            Assert.InRange(unavailable, 1, 2 * cluster.SiloOutputs.Count);
            Assert.Contains("Job store is back", logs);
            // Orleans' own membership warnings carry their stack traces; the grid's entries do not.
            var gridEntries = System.Text.RegularExpressions.Regex.Split(logs, @"(?m)^(?=\S+ (?:info|warn|fail|crit|dbug): )")
                .Where(entry => System.Text.RegularExpressions.Regex.IsMatch(entry, @"^\S+ \w+: OrleansJobs\."));
            Assert.All(gridEntries, entry => Assert.DoesNotContain("   at ", entry));
        }
        catch
        {
            cluster.WriteSiloLogs(output);
            throw;
        }
    }

    [Fact]
    public async Task Killing_the_silos_database_connections_again_and_again_under_load_loses_nothing_and_fails_only_with_typed_errors()
    {
        await using var cluster = await PostgresCluster.StartAsync(size: 2, sampleConcurrency: 8);
        var client = await cluster.ClientAsync();
        var producers = new Producers(client, _tenants, loops: 4);
        producers.Start();
        await WaitUntilAsync(() => producers.Acknowledged.Count >= 300, "300 acknowledged enqueues", TimeSpan.FromSeconds(60));

        // Each kill also meets queues activating for the first time: their activation reads the store on a dead connection.
        var killed = 0;
        var fresh = new List<JobId>();
        var freshErrors = new List<Exception>();
        for (var round = 0; round < 5; round++)
        {
            killed += await cluster.TerminateConnectionsAsync();
            foreach (var tenant in Enumerable.Range(0, 4).Select(i => $"{_tenants}f{round}-{i}"))
            {
                try
                {
                    fresh.Add(await client.EnqueueAsync(tenant, "demo.sleep", new { milliseconds = 20 }));
                }
                catch (Exception ex)
                {
                    freshErrors.Add(ex);
                }
            }

            var target = producers.Acknowledged.Count + 200;
            await WaitUntilAsync(() => producers.Acknowledged.Count >= target, $"enqueues to go on after kill {round + 1}", TimeSpan.FromSeconds(60));
        }

        await producers.StopAsync();
        var acknowledged = producers.Acknowledged.Concat(fresh).ToList();
        await cluster.WaitForAsync(_tenants, jobs => jobs.Count(j => j.State == JobState.Succeeded) >= acknowledged.Count, "every acknowledged job to succeed", TimeSpan.FromMinutes(3));
        var jobs = await cluster.JobsAsync(_tenants);
        output.WriteLine($"Ended {killed} database sessions in 5 rounds under load; {acknowledged.Count} enqueues acknowledged ({fresh.Count} to queues activating just after a kill), " +
            $"{producers.Errors.Count + freshErrors.Count} refused; every acknowledged job succeeded.");
        foreach (var error in producers.Errors.Concat(freshErrors).Take(5))
        {
            output.WriteLine($"refused: {error.GetType().Name}: {error.Message}");
        }

        Assert.All(producers.Errors.Concat(freshErrors), e => Assert.IsType<JobStoreUnavailableException>(e));
        Assert.All(acknowledged, id => Assert.Equal(JobState.Succeeded, jobs[id].State));
    }

    /// <summary>
    /// The producers' client retries what a leaving silo leaves open (a timeout, a rejection, a lost
    /// gateway) with the ids it chose, so no producer sees an error and no job is stored twice.
    /// </summary>
    [Fact]
    public async Task A_rolling_restart_under_load_loses_nothing_fails_no_enqueue_and_stores_none_twice()
    {
        await using var cluster = await PostgresCluster.StartAsync(size: 3, sampleConcurrency: 4);
        var backlog = await cluster.EnqueueSleepJobsAsync(_tenants + "b", tenants: 24, count: 12_000, milliseconds: 100);
        var producers = new Producers(await cluster.ClientAsync(), _tenants + "p", loops: 2);
        producers.Start();
        var clock = Stopwatch.StartNew();

        for (var silo = 0; silo < 3; silo++)
        {
            await cluster.StopGracefullyAsync(silo);
            await cluster.StartSiloAsync(silo);
        }

        var restarted = clock.Elapsed;
        await producers.StopAsync();
        var acknowledged = backlog.Concat(producers.Acknowledged).ToList();
        await cluster.WaitForAsync(_tenants, jobs => jobs.Count(j => j.State == JobState.Succeeded) >= acknowledged.Count, "every acknowledged job to succeed", TimeSpan.FromMinutes(4));

        var jobs = await cluster.JobsAsync(_tenants);
        var produced = await cluster.JobsAsync(_tenants + "p");
        output.WriteLine($"Restarted 3 silos one by one in {restarted.TotalSeconds:F1} s under load; {acknowledged.Count} jobs acknowledged " +
            $"({producers.Acknowledged.Count} during the restarts, {producers.Errors.Count} enqueue errors, {produced.Count} stored for them); " +
            $"all succeeded; {jobs.Values.Count(j => j.Attempt > 1)} started more than once ({produced.Values.Count(j => j.Attempt > 1)} of the producers').");
        foreach (var error in producers.Errors.Take(5))
        {
            output.WriteLine($"enqueue error: {error.GetType().Name}: {error.Message}");
        }

        Assert.Empty(producers.Errors);
        Assert.Equal(producers.Acknowledged.Count, producers.Acknowledged.Distinct().Count());
        Assert.Equal(producers.Acknowledged.Order(), produced.Keys.Order());
        Assert.All(acknowledged, id => Assert.Equal(JobState.Succeeded, jobs[id].State));
    }

    [Fact]
    public async Task Delayed_jobs_and_retries_run_on_time_after_their_silo_is_killed()
    {
        var tolerance = TimeSpan.FromSeconds(5);
        // Information-level logs with timestamps: a late start must be explainable from the output alone.
        await using var cluster = await PostgresCluster.StartAsync(size: 3, sampleConcurrency: 8, siloSettings: ["--Logging:LogLevel:OrleansJobs=Information"]);
        var retries = await cluster.EnqueueAsync(_tenants + "f", tenants: 6, count: 12, "demo.flaky", "{\"failAttempts\":1}");
        var delayed = await cluster.EnqueueSleepJobsAsync(_tenants + "d", tenants: 6, count: 24, milliseconds: 0, delay: TimeSpan.FromSeconds(12));
        await cluster.WaitForAsync(_tenants + "f", jobs => jobs.Count(j => j.State == JobState.Scheduled && j.Attempt == 1) == retries.Count, "every flaky job to fail once and await its retry", TimeSpan.FromSeconds(30));

        var firstAttempts = await cluster.JobsAsync(_tenants + "f");
        var victim = cluster.SiloIndexOf(firstAttempts[retries[0]].LastSilo);
        var retriesOnVictim = retries.Count(id => cluster.SiloIndexOf(firstAttempts[id].LastSilo) == victim);
        output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} killing silo {victim + 1}");
        cluster.Crash(victim);

        try
        {
            await cluster.WaitForAsync(_tenants, jobs => jobs.Count(j => j.State == JobState.Succeeded) == retries.Count + delayed.Count, "the retries and delayed jobs to run", TimeSpan.FromSeconds(90));
            var jobs = await cluster.JobsAsync(_tenants);
            var lateness = retries.Concat(delayed).ToDictionary(id => id, id => jobs[id].StartedAt!.Value - jobs[id].RunAt);
            output.WriteLine($"Killed silo {victim + 1} of 3 holding {retriesOnVictim} pending retries; {retries.Count} retries and {delayed.Count} delayed jobs then started " +
                $"{lateness.Values.Min().TotalMilliseconds:F0}–{lateness.Values.Max().TotalMilliseconds:F0} ms after their run-at (tolerance {tolerance.TotalSeconds} s).");
            foreach (var (id, late) in lateness.Where(l => l.Value > tolerance))
            {
                output.WriteLine($"late: job {id} due {jobs[id].RunAt:HH:mm:ss.fff} started {jobs[id].StartedAt:HH:mm:ss.fff} on {jobs[id].LastSilo}");
            }

            Assert.True(retriesOnVictim > 0);
            Assert.All(retries, id => Assert.NotEqual(victim, cluster.SiloIndexOf(jobs[id].LastSilo)));
            Assert.All(lateness.Values, late => Assert.InRange(late, TimeSpan.Zero, tolerance));
        }
        catch
        {
            cluster.WriteSiloLogs(output);
            throw;
        }
    }
}
