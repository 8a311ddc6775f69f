using System.Diagnostics.Metrics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using OrleansJobs.Tests.Process;

namespace OrleansJobs.Tests.Http;

/// <summary>The Grafana dashboard and the alert rules under deploy/ only name series the grid exports.</summary>
[Collection(HttpApiCollection.Name)]
public sealed partial class DeployConfigTests(HttpApiFixture fixture)
{
    [Fact]
    public void The_dashboard_and_the_alert_rules_query_only_metrics_the_grid_exports()
    {
        // The grid's meter exists once its metrics service does.
        _ = fixture.Services.GetRequiredService<OrleansJobs.Diagnostics.JobsMetrics>();
        var exported = ExportedNames();
        Assert.Contains("orleansjobs_queue_drain_time", exported);

        var dashboard = JsonDocument.Parse(File.ReadAllText(Path.Combine(SiloProcess.RepositoryRoot, "deploy/grafana/orleansjobs-dashboard.json")));
        var panelQueries = dashboard.RootElement.GetProperty("panels").EnumerateArray()
            .SelectMany(p => p.GetProperty("targets").EnumerateArray())
            .Select(t => t.GetProperty("expr").GetString()!)
            .ToList();
        Assert.True(panelQueries.Count >= 8);

        var rules = File.ReadAllText(Path.Combine(SiloProcess.RepositoryRoot, "deploy/prometheus/orleansjobs-alerts.yml"));
        foreach (var alert in new[] { "OrleansJobsDeadLettersGrowing", "OrleansJobsOldestJobOverSlo", "OrleansJobsDrainTimeOverSlo", "OrleansJobsStalled" })
        {
            Assert.Contains($"alert: {alert}", rules);
        }

        var referenced = panelQueries.Append(rules).SelectMany(text => MetricName().Matches(text).Select(m => m.Value)).ToHashSet();
        Assert.NotEmpty(referenced);
        Assert.All(referenced, name => Assert.Contains(name, exported));
    }

    /// <summary>
    /// The Prometheus names of the OrleansJobs meter's instruments, named as prometheus-net's meter
    /// adapter names them (checked against a real scrape in <see cref="MetricsTests"/>).
    /// </summary>
    private static HashSet<string> ExportedNames()
    {
        var names = new HashSet<string>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter.Name == "OrleansJobs")
                {
                    var name = "orleansjobs_" + instrument.Name.Replace('.', '_');
                    names.Add(name);
                    if (instrument is Histogram<double>)
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
