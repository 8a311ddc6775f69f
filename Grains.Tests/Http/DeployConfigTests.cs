using System.Diagnostics.Metrics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using OrleansJobs.Tests.Process;

namespace OrleansJobs.Tests.Http;

/// <summary>The Grafana dashboard, the alert rules and the KEDA scaler under deploy/ only name series the grid exports.</summary>
[Collection(HttpApiCollection.Name)]
public sealed partial class DeployConfigTests(HttpApiFixture fixture)
{
    [Fact]
    public void The_dashboard_the_alert_rules_and_the_autoscaler_query_only_metrics_the_grid_exports()
    {
        // The grid's meter exists once its metrics service does.
        _ = fixture.Services.GetRequiredService<OrleansJobs.Diagnostics.JobsMetrics>();
        var exported = ExportedNames();
        Assert.Contains("orleansjobs_queue_drain_time_seconds", exported);
        Assert.Contains("orleansjobs_jobs_succeeded_total", exported);

        var dashboard = JsonDocument.Parse(File.ReadAllText(Path.Combine(SiloProcess.RepositoryRoot, "deploy/grafana/orleansjobs-dashboard.json")));
        var panelQueries = dashboard.RootElement.GetProperty("panels").EnumerateArray()
            .SelectMany(p => p.GetProperty("targets").EnumerateArray())
            .Select(t => t.GetProperty("expr").GetString()!)
            .ToList();
        Assert.True(panelQueries.Count >= 8);

        var rules = File.ReadAllText(Path.Combine(SiloProcess.RepositoryRoot, "deploy/prometheus/orleansjobs-alerts.yml"));
        foreach (var alert in new[] { "OrleansJobsDeadLettersGrowing", "OrleansJobsOldestJobOverSlo", "OrleansJobsDrainTimeOverSlo", "OrleansJobsBreakerStuckOpen", "OrleansJobsStalled", "OrleansJobsFirstDeadLetter", "OrleansJobsSilosMissing" })
        {
            Assert.Contains($"alert: {alert}", rules);
        }

        // KEDA scales the silos on lag: drain time and oldest waiting age, with a floor and a ceiling.
        var keda = File.ReadAllText(Path.Combine(SiloProcess.RepositoryRoot, "deploy/kubernetes/orleansjobs-keda.yaml"));
        var scalerQueries = Regex.Matches(keda, @"query: (.+)").Select(m => m.Groups[1].Value).ToList();
        Assert.Contains(scalerQueries, q => q.Contains("orleansjobs_queue_drain_time_seconds", StringComparison.Ordinal));
        Assert.Contains(scalerQueries, q => q.Contains("orleansjobs_queue_oldest_waiting_age_seconds", StringComparison.Ordinal));
        Assert.Matches(@"minReplicaCount: [1-9]", keda);
        Assert.Matches(@"maxReplicaCount: [1-9][0-9]*", keda);

        var referenced = panelQueries.Append(rules).Concat(scalerQueries).SelectMany(text => MetricName().Matches(text).Select(m => m.Value)).ToHashSet();
        Assert.NotEmpty(referenced);
        Assert.All(referenced, name => Assert.Contains(name, exported));
    }

    /// <summary>
    /// The Prometheus series names of the OrleansJobs meter's instruments, as <c>/metrics</c> and an
    /// OpenTelemetry Prometheus exporter both name them (checked against real scrapes in <see cref="MetricsTests"/>).
    /// </summary>
    internal static HashSet<string> ExportedNames()
    {
        var names = new HashSet<string>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter.Name == "OrleansJobs")
                {
                    var name = OrleansJobs.Http.Metrics.PrometheusNames.Of(instrument);
                    names.Add(name);
                    if (instrument is Histogram<double> or Histogram<long>)
                    {
                        names.UnionWith([name + "_bucket", name + "_sum", name + "_count"]);
                    }
                }
            },
        };
        listener.Start();
        return names;
    }

    [GeneratedRegex("orleansjobs_[a-z_]+")]
    private static partial Regex MetricName();
}
