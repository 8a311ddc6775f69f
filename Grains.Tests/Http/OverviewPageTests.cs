using System.Net;
using System.Text.RegularExpressions;
using OrleansJobs.Security;
using OrleansJobs.Tests.Cluster;
using static OrleansJobs.Tests.Http.HttpApiFixture;

namespace OrleansJobs.Tests.Http;

/// <summary>
/// The overview and silos pages against a running silo: what its queues did reaches the overview through the
/// silo's history writes (every second in the fixture, wait objective one second), and the silos page shows the silo's own figures.
/// </summary>
[Collection(HttpApiCollection.Name)]
public sealed partial class OverviewPageTests(HttpApiFixture fixture)
{
    private readonly string _tenant = "o" + Guid.NewGuid().ToString("N")[..12];

    [Fact]
    public async Task The_overview_counts_what_the_tenants_queues_did_and_lists_a_queue_whose_jobs_wait_past_its_objective()
    {
        for (var i = 0; i < 3; i++)
        {
            await fixture.Jobs.EnqueueAsync(_tenant, ClusterFixture.Noop, new ProbePayload());
        }

        var dead = await fixture.Jobs.EnqueueAsync(_tenant, ClusterFixture.Flaky, new ProbePayload(Fail: true));
        await fixture.Probe.WaitForAsync(async () => (await fixture.Jobs.GetStatusAsync(_tenant, dead))?.State == JobState.Dead, "the failing job to be dead-lettered");

        // A paused queue's job waits: past the one-second objective, the queue is listed as behind.
        await fixture.Jobs.PauseQueueAsync(_tenant, ClusterFixture.Noop);
        await fixture.Jobs.EnqueueAsync(_tenant, ClusterFixture.Noop, new ProbePayload());
        using var admin = fixture.Client(AdminKey);
        string html = "";
        await fixture.Probe.WaitForAsync(async () =>
        {
            html = WebUtility.HtmlDecode(await admin.GetStringAsync($"/jobs/overview?tenant={_tenant}"));
            return Figure(html, "Succeeded") == 3 && Figure(html, "Dead-lettered") == 1 && html.Contains($"data-queue=\"{_tenant}/{ClusterFixture.Noop}\"", StringComparison.Ordinal)
                && Figure(html, "Backlog now") == 1;
        }, "the overview to show the tenant's hour and its waiting queue", TimeSpan.FromSeconds(30));

        Assert.Equal(5, Figure(html, "Enqueued"));
        Assert.Equal(1, Figure(html, "Failed attempts"));
        Assert.Matches($"<table id=\"behind\"[\\s\\S]*{Regex.Escape($"{_tenant}/{ClusterFixture.Noop}")}", html);
        Assert.Matches($"<table id=\"failing\"[\\s\\S]*{Regex.Escape($"{_tenant}/{ClusterFixture.Flaky}")}", html);
        Assert.Contains("<svg viewBox=\"0 0 720 200\"", html, StringComparison.Ordinal);
        Assert.Contains("Enqueued now", html, StringComparison.Ordinal);

        // An operator of another tenant sees none of it, whichever tenant it asks for.
        using var other = fixture.Client(TenantB, ApiKeyRole.Operator);
        var theirs = WebUtility.HtmlDecode(await other.GetStringAsync($"/jobs/overview?tenant={_tenant}"));
        Assert.DoesNotContain(_tenant, theirs, StringComparison.Ordinal);

        await fixture.Jobs.ResumeQueueAsync(_tenant, ClusterFixture.Noop);
    }

    [Fact]
    public async Task The_silos_page_lists_this_silo_as_active_with_its_own_figures()
    {
        using var operatorA = fixture.Client(TenantA, ApiKeyRole.Operator);
        var html = WebUtility.HtmlDecode(await operatorA.GetStringAsync("/jobs/silos"));

        var row = Regex.Match(html, "<tr data-silo=\"[^\"]+\">([\\s\\S]*?)</tr>");
        Assert.True(row.Success, html);
        Assert.Contains("(this one)", row.Value, StringComparison.Ordinal);
        Assert.Contains("<td>active", row.Value, StringComparison.Ordinal);
        Assert.Matches(@"<td class=""n"">\d+ / 256</td>", row.Value);
        Assert.Contains("Orleans 10.", row.Value, StringComparison.Ordinal);
        Assert.DoesNotContain("Orleans dashboard", html, StringComparison.Ordinal);

        using var admin = fixture.Client(AdminKey);
        Assert.Contains("Orleans dashboard", await admin.GetStringAsync("/jobs/silos"), StringComparison.Ordinal);
    }

    /// <summary>A figure from the overview's list of the hour's totals, by its label.</summary>
    private static long? Figure(string html, string label) =>
        Regex.Match(html, $"<li>{Regex.Escape(label)} <strong>(\\d+)</strong></li>") is { Success: true } m ? long.Parse(m.Groups[1].Value) : null;
}
