using OrleansJobs.Cli;
using OrleansJobs.Security;
using OrleansJobs.Tests.Cluster;
using static OrleansJobs.Tests.Http.HttpApiFixture;

namespace OrleansJobs.Tests.Http;

/// <summary>The <c>orleansjobs</c> CLI against the real HTTP API.</summary>
[Collection(HttpApiCollection.Name)]
public sealed class CliTests(HttpApiFixture fixture)
{
    private async Task<(int Code, string Output, string Error)> RunAsync(string key, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await CliApp.RunAsync(["--url", fixture.BaseAddress.ToString(), "--key", key, .. args], output, error, CancellationToken.None);
        return (code, output.ToString(), error.ToString());
    }

    private string Operator => fixture.Keys[(TenantA, ApiKeyRole.Operator)];

    [Fact]
    public async Task Enqueue_prints_the_id_of_a_stored_job_and_status_shows_it()
    {
        var (code, output, _) = await RunAsync(Operator, "--tenant", TenantA, "enqueue", ClusterFixture.Noop, """{"delayMs":1}""", "--priority", "high");
        Assert.Equal(0, code);
        var id = JobId.Parse(output.Trim());
        await fixture.Probe.WaitForAsync(() => fixture.Probe.Successes(id) == 1, "the job to run");

        var status = await RunAsync(Operator, "-t", TenantA, "status", id.ToString());
        Assert.Contains("\"state\": \"succeeded\"", status.Output);
        Assert.Contains("\"priority\": \"high\"", status.Output);
    }

    [Fact]
    public async Task Enqueue_with_a_used_idempotency_key_prints_the_earlier_id_and_says_so_on_stderr()
    {
        var key = "cli-" + Guid.NewGuid().ToString("N");
        var first = await RunAsync(Operator, "-t", TenantA, "enqueue", ClusterFixture.Noop, "{}", "--idempotency-key", key);
        var again = await RunAsync(Operator, "-t", TenantA, "enqueue", ClusterFixture.Noop, """{"delayMs":5}""", "--idempotency-key", key);

        Assert.Equal((0, ""), (first.Code, first.Error));
        Assert.Equal((0, first.Output), (again.Code, again.Output));
        Assert.Contains($"idempotency key '{key}' already named job {first.Output.Trim()}", again.Error);
        Assert.Contains("payload was not used", again.Error);
    }

    [Fact]
    public async Task Pause_and_resume_print_the_queues_state_and_stats_shows_it()
    {
        var pause = await RunAsync(Operator, "-t", TenantA, "pause", ClusterFixture.Flaky);
        try
        {
            Assert.Equal(0, pause.Code);
            Assert.StartsWith($"{TenantA}/{ClusterFixture.Flaky}: paused", pause.Output);
            var stats = await RunAsync(Operator, "-t", TenantA, "stats");
            Assert.Contains("STATE", stats.Output);
        }
        finally
        {
            var resume = await RunAsync(Operator, "-t", TenantA, "resume", ClusterFixture.Flaky);
            Assert.StartsWith($"{TenantA}/{ClusterFixture.Flaky}: running", resume.Output);
        }
    }

    [Fact]
    public async Task Pause_tenant_and_resume_tenant_print_the_tenants_state()
    {
        var pause = await RunAsync(Operator, "-t", TenantA, "pause-tenant");
        try
        {
            Assert.Equal(0, pause.Code);
            Assert.StartsWith($"{TenantA}: paused since ", pause.Output);
        }
        finally
        {
            var resume = await RunAsync(Operator, "-t", TenantA, "resume-tenant");
            Assert.StartsWith($"{TenantA}: running", resume.Output);
        }
    }

    [Fact]
    public async Task Pause_schedule_and_resume_schedule_print_the_schedules_state()
    {
        await fixture.Jobs.UpsertScheduleAsync(new RecurringJob { Tenant = TenantA, Id = "cli-pausable", JobType = ClusterFixture.Noop, Cron = "0 3 * * *" });
        try
        {
            var pause = await RunAsync(Operator, "-t", TenantA, "pause-schedule", "cli-pausable");
            Assert.Equal(0, pause.Code);
            Assert.StartsWith($"{TenantA}/cli-pausable: paused since ", pause.Output);
            var resume = await RunAsync(Operator, "-t", TenantA, "resume-schedule", "cli-pausable");
            Assert.StartsWith($"{TenantA}/cli-pausable: running, next occurrence ", resume.Output);
            Assert.NotEqual(0, (await RunAsync(Operator, "-t", TenantA, "pause-schedule", "no-such")).Code);
        }
        finally
        {
            await fixture.Jobs.DeleteScheduleAsync(TenantA, "cli-pausable");
        }
    }

    [Fact]
    public async Task Help_never_prints_the_key_from_the_environment_and_the_environment_key_is_used()
    {
        var previous = Environment.GetEnvironmentVariable("ORLEANSJOBS_KEY");
        Environment.SetEnvironmentVariable("ORLEANSJOBS_KEY", Operator);
        try
        {
            foreach (var help in new[] { new[] { "--help" }, ["stats", "--help"], ["dlq", "list", "--help"] })
            {
                var output = new StringWriter();
                var error = new StringWriter();
                Assert.Equal(0, await CliApp.RunAsync(help, output, error, CancellationToken.None));
                Assert.Contains("--key", output.ToString());
                Assert.DoesNotContain(Operator, output.ToString() + error);
            }

            var stats = new StringWriter();
            var code = await CliApp.RunAsync(["--url", fixture.BaseAddress.ToString(), "-t", TenantA, "stats"], stats, new StringWriter(), CancellationToken.None);
            Assert.Equal(0, code);
            Assert.DoesNotContain(Operator, stats.ToString());
        }
        finally
        {
            Environment.SetEnvironmentVariable("ORLEANSJOBS_KEY", previous);
        }
    }

    [Fact]
    public async Task Stats_prints_a_table_with_the_tenants_queues()
    {
        await fixture.Jobs.EnqueueAfterAsync(TenantA, ClusterFixture.Noop, new ProbePayload(), TimeSpan.FromHours(1));
        var (code, output, _) = await RunAsync(Operator, "-t", TenantA, "stats");
        Assert.Equal(0, code);
        var lines = output.Split('\n');
        Assert.StartsWith("QUEUE", lines[0]);
        Assert.Contains(lines, l => l.StartsWith($"{TenantA}/{ClusterFixture.Noop} ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Dead_letters_are_listed_inspected_and_replayed_in_bulk_with_a_progress_bar()
    {
        var tenant = TenantB;
        var key = fixture.Keys[(tenant, ApiKeyRole.Operator)];
        var marker = "cli-" + Guid.NewGuid().ToString("N")[..8];
        var dead = new List<JobId>();
        for (var i = 0; i < 5; i++)
        {
            dead.Add(await fixture.Jobs.EnqueueAsync(tenant, ClusterFixture.Flaky, new { fail = true, tag = marker }));
        }

        await fixture.Probe.WaitForAsync(async () => (await Task.WhenAll(dead.Select(id => fixture.Jobs.GetStatusAsync(tenant, id)))).All(j => j!.State == JobState.Dead), "five dead letters");

        var list = await RunAsync(key, "-t", tenant, "dlq", "list", "--job-type", ClusterFixture.Flaky, "--page-size", "500");
        Assert.All(dead, id => Assert.Contains(id.ToString(), list.Output));

        var inspect = await RunAsync(key, "-t", tenant, "dlq", "inspect", dead[0].ToString());
        Assert.Equal(marker, System.Text.Json.JsonDocument.Parse(inspect.Output).RootElement.GetProperty("payload").GetProperty("tag").GetString());

        foreach (var id in dead)
        {
            fixture.Probe.Heal(id);
        }

        var before = (await fixture.Jobs.ListDeadLettersAsync(tenant, new DeadLetterFilter { JobType = ClusterFixture.Flaky }, 1000)).Jobs.Count;
        var replay = await RunAsync(key, "-t", tenant, "dlq", "replay", "--all", "--job-type", ClusterFixture.Flaky, "--batch", "2");
        Assert.Equal(0, replay.Code);
        Assert.Contains($"] {before}/{before}", replay.Output);
        Assert.Contains($"replayed {before} of {before}", replay.Output);
        await fixture.Probe.WaitForAsync(() => dead.All(id => fixture.Probe.Successes(id) == 1), "the replayed jobs to run");
    }

    [Fact]
    public async Task Errors_from_the_api_are_printed_plainly_with_a_nonzero_exit_code()
    {
        var unauthorized = await RunAsync("ojk_nope_nope", "-t", TenantA, "stats");
        Assert.Equal(1, unauthorized.Code);
        Assert.Contains("401", unauthorized.Error);

        var bad = await RunAsync(Operator, "-t", TenantA, "enqueue", "no.such-type", "{}");
        Assert.Equal(1, bad.Code);
        Assert.Contains("(field jobType)", bad.Error);

        var notJson = await RunAsync(Operator, "-t", TenantA, "enqueue", ClusterFixture.Noop, "{oops");
        Assert.Equal(1, notJson.Code);
        Assert.Contains("not JSON", notJson.Error);
    }

    [Fact]
    public async Task Jobs_lists_a_tenants_jobs_by_state_and_a_bad_state_is_refused_by_name()
    {
        var later = await fixture.Jobs.EnqueueAfterAsync(TenantA, ClusterFixture.Noop, new ProbePayload(), TimeSpan.FromHours(2));

        var (code, output, _) = await RunAsync(Operator, "-t", TenantA, "jobs", "--state", "scheduled", "--page-size", "500");
        Assert.Equal(0, code);
        Assert.Contains("RUNS AT", output);
        Assert.Contains(later.ToString(), output);

        var bad = await RunAsync(Operator, "-t", TenantA, "jobs", "--state", "finished");
        Assert.NotEqual(0, bad.Code);
        Assert.Contains("state", bad.Error);
        await fixture.Jobs.CancelAsync(TenantA, later);
    }
}
