using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using OpenTelemetry.Metrics;
using OrleansJobs.Http.Endpoints;
using OrleansJobs.Storage;
using OrleansJobs.Tests.Cluster;
using Xunit.Abstractions;
using static OrleansJobs.Tests.Http.HttpApiFixture;

namespace OrleansJobs.Tests.Http;

[Collection(HttpApiCollection.Name)]
public sealed partial class MetricsTests(HttpApiFixture fixture, ITestOutputHelper output)
{
    private readonly string _tenant = "m" + Guid.NewGuid().ToString("N")[..12];

    [Fact]
    public async Task After_a_known_workload_metrics_report_its_exact_counts_and_levels_that_match_the_store()
    {
        using var admin = fixture.Client(AdminKey);
        async Task<JobId> Enqueue(string type, object payload, object? options = null) =>
            (await (await admin.PostAsJsonAsync($"/v1/tenants/{_tenant}/jobs", new { jobType = type, payload, options })).Content.ReadFromJsonAsync<EnqueueResponse>(HttpJson.Options))!.Id;

        var ok = new List<JobId>();
        for (var i = 0; i < 5; i++)
        {
            ok.Add(await Enqueue(ClusterFixture.Noop, new { }));
        }

        var dead = new[] { await Enqueue(ClusterFixture.Flaky, new { fail = true }), await Enqueue(ClusterFixture.Flaky, new { fail = true }) };
        for (var i = 0; i < 3; i++)
        {
            await Enqueue(ClusterFixture.Noop, new { }, new { delay = "01:00:00" });
        }

        await fixture.Probe.WaitForAsync(async () => ok.All(id => fixture.Probe.Successes(id) == 1)
            && (await Task.WhenAll(dead.Select(id => fixture.Jobs.GetStatusAsync(_tenant, id)))).All(j => j!.State == JobState.Dead), "the workload to finish");

        var noop = await fixture.Jobs.GetQueueStatsAsync(_tenant, ClusterFixture.Noop);
        var flaky = await fixture.Jobs.GetQueueStatsAsync(_tenant, ClusterFixture.Flaky);
        Assert.Equal((3, 0, 2), (noop.Scheduled, noop.Enqueued, flaky.DeadLettered));

        // Levels are refreshed from the store by the queue's housekeeping (every second here): wait for them.
        Dictionary<string, double> metrics = [];
        await fixture.Probe.WaitForAsync(async () =>
        {
            metrics = await ScrapeAsync(admin);
            return metrics.GetValueOrDefault($"orleansjobs_queue_scheduled|{ClusterFixture.Noop}") == noop.Scheduled
                && metrics.GetValueOrDefault($"orleansjobs_queue_dead_letters|{ClusterFixture.Flaky}") == flaky.DeadLettered;
        }, "the queue levels to match the store");

        foreach (var (name, value) in metrics.OrderBy(m => m.Key))
        {
            output.WriteLine($"{name} = {value}");
        }

        Assert.Equal(8, metrics[$"orleansjobs_jobs_enqueued_total|{ClusterFixture.Noop}"]);
        Assert.Equal(2, metrics[$"orleansjobs_jobs_enqueued_total|{ClusterFixture.Flaky}"]);
        Assert.Equal(5, metrics[$"orleansjobs_jobs_succeeded_total|{ClusterFixture.Noop}"]);
        Assert.Equal(2, metrics[$"orleansjobs_jobs_failed_total|{ClusterFixture.Flaky}"]);
        Assert.Equal(2, metrics[$"orleansjobs_jobs_dead_lettered_total|{ClusterFixture.Flaky}"]);
        Assert.False(metrics.ContainsKey($"orleansjobs_jobs_retried_total|{ClusterFixture.Flaky}"));
        Assert.Equal(5, metrics[$"orleansjobs_job_run_time_seconds_count|{ClusterFixture.Noop}"]);
        Assert.Equal(noop.Enqueued, metrics[$"orleansjobs_queue_backlog|{ClusterFixture.Noop}"]);
        Assert.Equal(0, metrics[$"orleansjobs_queue_in_flight|{ClusterFixture.Noop}"]);
        Assert.Equal(0, metrics[$"orleansjobs_queue_drain_time_seconds|{ClusterFixture.Noop}"]);
        Assert.Equal(0, metrics[$"orleansjobs_queue_dead_letters|{ClusterFixture.Noop}"]);
    }

    [Fact]
    public async Task The_metrics_endpoint_names_and_types_series_as_the_opentelemetry_prometheus_exporter_does()
    {
        var port = OrleansJobs.Tests.Process.SiloProcess.FreePort();
        using (var provider = OpenTelemetry.Sdk.CreateMeterProviderBuilder()
            .AddMeter(OrleansJobs.Diagnostics.JobsMetrics.MeterName)
            .AddPrometheusHttpListener(o => (o.Host, o.Port) = ("127.0.0.1", port))
            .Build())
        {
            using var admin = fixture.Client(AdminKey);
            var ok = await fixture.Jobs.EnqueueAsync(_tenant, ClusterFixture.Noop, new ProbePayload());
            var dead = await fixture.Jobs.EnqueueAsync(_tenant, ClusterFixture.Flaky, new { fail = true });
            await fixture.Probe.WaitForAsync(async () => fixture.Probe.Successes(ok) == 1 && (await fixture.Jobs.GetStatusAsync(_tenant, dead))!.State == JobState.Dead, "the workload to finish");

            using var http = new HttpClient();
            var fromOpenTelemetry = Families(await http.GetStringAsync($"http://127.0.0.1:{port}/metrics"));
            var fromGrid = Families(await (await admin.GetAsync("/metrics")).Content.ReadAsStringAsync());

            Assert.Contains(("orleansjobs_jobs_succeeded_total", "counter"), fromOpenTelemetry);
            Assert.Contains(("orleansjobs_job_run_time_seconds", "histogram"), fromOpenTelemetry);
            Assert.Contains(("orleansjobs_queue_drain_time_seconds", "gauge"), fromOpenTelemetry);
            Assert.Contains(("orleansjobs_queue_oldest_waiting_age_seconds", "gauge"), fromOpenTelemetry);
            Assert.Contains(("orleansjobs_cluster_active_silos", "gauge"), fromOpenTelemetry);
            Assert.All(fromOpenTelemetry, family => Assert.Contains(family, fromGrid));
            Assert.All(fromGrid, family => Assert.Contains(family.Name, DeployConfigTests.ExportedNames()));
        }
    }

    /// <summary>The OrleansJobs metric families of a scrape, with their types.</summary>
    private static HashSet<(string Name, string Type)> Families(string scrape) =>
        scrape.Split('\n')
            .Select(line => TypeLine().Match(line))
            .Where(m => m.Success && m.Groups["name"].Value.StartsWith("orleansjobs_", StringComparison.Ordinal))
            .Select(m => (m.Groups["name"].Value, m.Groups["type"].Value))
            .ToHashSet();

    [GeneratedRegex("""^# TYPE (?<name>\S+) (?<type>\S+)""")]
    private static partial Regex TypeLine();

    [Fact]
    public async Task Metrics_need_an_admin_key()
    {
        using var anonymous = fixture.Client(null);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/metrics")).StatusCode);
        using var producer = fixture.Client(TenantA, OrleansJobs.Security.ApiKeyRole.Operator);
        Assert.Equal(HttpStatusCode.Forbidden, (await producer.GetAsync("/metrics")).StatusCode);
    }

    /// <summary>This test's tenant's series, keyed "name|job_type".</summary>
    private async Task<Dictionary<string, double>> ScrapeAsync(HttpClient admin)
    {
        var response = await admin.GetAsync("/metrics");
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        var series = new Dictionary<string, double>();
        foreach (var line in (await response.Content.ReadAsStringAsync()).Split('\n'))
        {
            if (Sample().Match(line) is { Success: true } match && !match.Groups["labels"].Value.Contains("le=", StringComparison.Ordinal)
                && Label(match, "tenant") == _tenant)
            {
                series[$"{match.Groups["name"].Value}|{Label(match, "job_type")}"] = double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture);
            }
        }

        return series;
    }

    private static string? Label(Match sample, string name) =>
        Regex.Match(sample.Groups["labels"].Value, $"{name}=\"([^\"]*)\"") is { Success: true } label ? label.Groups[1].Value : null;

    [GeneratedRegex("""^(?<name>[a-z_]+)\{(?<labels>[^}]*)\} (?<value>\S+)$""")]
    private static partial Regex Sample();
}
