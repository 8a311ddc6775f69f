using System.Diagnostics;
using Xunit.Abstractions;

namespace OrleansJobs.Tests.Process;

/// <summary>Three real silo processes on a real PostgreSQL: work spreads, and nothing acknowledged is lost.</summary>
public sealed class PostgresClusterTests(ITestOutputHelper output)
{
    private readonly string _tenants = "c" + Guid.NewGuid().ToString("N")[..6] + "-";

    [Fact]
    public async Task Twenty_thousand_jobs_from_an_external_client_spread_over_three_silos_and_all_complete()
    {
        await using var cluster = await PostgresCluster.StartAsync(size: 3, sampleConcurrency: 16);
        var clock = Stopwatch.StartNew();

        var ids = await cluster.EnqueueSleepJobsAsync(_tenants, tenants: 24, count: 20_000, milliseconds: 0);
        var enqueued = clock.Elapsed;
        await cluster.WaitForAsync(_tenants, jobs => jobs.Count(j => j.State == JobState.Succeeded) == 20_000, "all 20 000 jobs to succeed", TimeSpan.FromMinutes(3));

        var jobs = await cluster.JobsAsync(_tenants);
        Assert.Equal(20_000, ids.Distinct().Count());
        Assert.All(ids, id => Assert.Equal(JobState.Succeeded, jobs[id].State));
        var perSilo = jobs.Values.GroupBy(j => j.LastSilo).ToDictionary(g => g.Key ?? "?", g => g.Count());
        output.WriteLine($"20 000 jobs over 24 tenants: enqueued in {enqueued.TotalSeconds:F1} s, all done after {clock.Elapsed.TotalSeconds:F1} s; per silo: {string.Join(", ", perSilo.Select(p => $"{p.Key}={p.Value}"))}");
        Assert.True(perSilo.Count > 1, "every job ran on one silo");
    }

    [Fact]
    public async Task A_silo_killed_mid_run_loses_no_acknowledged_job()
    {
        await using var cluster = await PostgresCluster.StartAsync(size: 3, sampleConcurrency: 4);
        var ids = await cluster.EnqueueSleepJobsAsync(_tenants, tenants: 24, count: 20_000, milliseconds: 40);
        await cluster.WaitForAsync(_tenants, jobs => jobs.Count(j => j.State == JobState.Succeeded) >= 3_000, "3 000 jobs to succeed", TimeSpan.FromMinutes(2));

        var beforeKill = await cluster.JobsAsync(_tenants);
        var victim = cluster.AddressPrefix(1);
        var activeOnVictim = beforeKill.Values.Count(j => j.State == JobState.Active && j.LastSilo?.StartsWith(victim, StringComparison.Ordinal) == true);
        var clock = Stopwatch.StartNew();
        cluster.Crash(1);

        await cluster.WaitForAsync(_tenants, jobs => jobs.Count(j => j.State == JobState.Succeeded) == 20_000, "every acknowledged job to succeed", TimeSpan.FromMinutes(4));

        var jobs = await cluster.JobsAsync(_tenants);
        Assert.All(ids, id => Assert.Equal(JobState.Succeeded, jobs[id].State));
        var rerun = jobs.Values.Count(j => j.Attempt > 1);
        output.WriteLine($"Killed silo 2 of 3 with {activeOnVictim} attempts running on it and {beforeKill.Values.Count(j => j.State == JobState.Succeeded)} of 20 000 done; all 20 000 succeeded {clock.Elapsed.TotalSeconds:F1} s after the kill; {rerun} job(s) ran more than once.");
        Assert.True(activeOnVictim > 0, "nothing was running on the killed silo");
        // Only attempts cut off by the crash run again: at most every queue's full budget, never the backlog.
        Assert.InRange(rerun, 1, 24 * 4);
    }
}
