using System.Net;
using OrleansJobs.Security;
using OrleansJobs.Tests.Cluster;
using static OrleansJobs.Tests.Http.HttpApiFixture;

namespace OrleansJobs.Tests.Http;

/// <summary>The jobs pages give an operator its own tenant only: another tenant's data never shows, and its buttons change nothing there.</summary>
[Collection(HttpApiCollection.Name)]
public sealed class JobsPageRightsTests(HttpApiFixture fixture)
{
    [Fact]
    public async Task An_operator_of_one_tenant_sees_nothing_of_another_on_any_page_and_its_actions_there_are_refused()
    {
        var dead = await fixture.Jobs.EnqueueAsync(TenantB, ClusterFixture.Flaky, new ProbePayload(Fail: true));
        await fixture.Probe.WaitForAsync(async () => (await fixture.Jobs.GetStatusAsync(TenantB, dead))?.State == JobState.Dead, "tenant B's job to be dead-lettered");
        var waiting = await fixture.Jobs.EnqueueAfterAsync(TenantB, ClusterFixture.Noop, new ProbePayload(), TimeSpan.FromHours(1));
        await fixture.Jobs.UpsertScheduleAsync(new RecurringJob { Tenant = TenantB, Id = "b-nightly", JobType = ClusterFixture.Noop, Cron = "0 3 * * *" });

        using (var admin = fixture.Client(AdminKey))
        {
            // Tenant B's dead letter reaches the history the overview reads (written every second here), so leaving it out below means something.
            await fixture.Probe.WaitForAsync(
                async () => (await admin.GetStringAsync($"/jobs/overview?tenant={TenantB}")).Contains($"{TenantB}/{ClusterFixture.Flaky}", StringComparison.Ordinal),
                "tenant B's dead letter in the overview");
        }

        // No redirects followed: an HttpClient drops the key on a redirect, and where each action sends the browser is checked below.
        using var operatorA = fixture.Client(TenantA, ApiKeyRole.Operator, followRedirects: false);
        string[] pages =
        [
            $"/jobs?tenant={TenantB}", $"/jobs/dead?tenant={TenantB}", $"/jobs/dead/replay?tenant={TenantB}", $"/jobs/schedules?tenant={TenantB}",
            $"/jobs/job/{dead}?tenant={TenantB}", $"/jobs/job/{waiting}", $"/jobs/overview?tenant={TenantB}", $"/jobs/overview", $"/jobs/silos?tenant={TenantB}",
            $"/jobs/search?tenant={TenantB}&state=dead", $"/jobs/search?tenant={TenantB}&state=scheduled",
        ];
        foreach (var page in pages)
        {
            var response = await operatorA.GetAsync(page);
            var html = WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
            Assert.DoesNotContain(TenantB, html);
            Assert.DoesNotContain("b-nightly", html);
            Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.NotFound, $"{page}: {response.StatusCode}");
        }

        Assert.Equal(HttpStatusCode.NotFound, (await operatorA.GetAsync($"/jobs/job/{dead}")).StatusCode);
        var tenants = await operatorA.GetAsync("/jobs/tenants");
        Assert.Equal(HttpStatusCode.Forbidden, tenants.StatusCode);
        Assert.DoesNotContain(TenantB, await tenants.Content.ReadAsStringAsync());

        // The search box sends an operator to the job's page in its own tenant, which has no such job (above).
        var found = await operatorA.GetAsync($"/jobs/find?id={dead}&tenant={TenantB}");
        Assert.Equal(HttpStatusCode.Redirect, found.StatusCode);
        Assert.Equal($"/jobs/job/{dead}", found.Headers.Location!.OriginalString);

        var token = PageForms.Token(await operatorA.GetStringAsync("/jobs"));
        (string Path, Dictionary<string, string> Fields)[] actions =
        [
            ("/jobs/replay", new() { ["id"] = dead.ToString() }),
            ("/jobs/dead/replay", new() { ["jobType"] = ClusterFixture.Flaky }),
            ("/jobs/cancel", new() { ["id"] = waiting.ToString(), ["confirm"] = "yes" }),
            ("/jobs/pause", new() { ["jobType"] = ClusterFixture.Noop, ["action"] = "pause" }),
            ("/jobs/pause", new() { ["schedule"] = "b-nightly", ["action"] = "pause" }),
            ("/jobs/pause", new() { ["action"] = "pause" }),
            ("/jobs/schedules/run", new() { ["schedule"] = "b-nightly" }),
            ("/jobs/schedules/delete", new() { ["schedule"] = "b-nightly", ["confirm"] = "yes" }),
            ("/jobs/keys/create", new() { ["role"] = "admin", ["name"] = "sneaky" }),
            ("/jobs/keys/revoke", new() { ["id"] = "whatever", ["confirm"] = "yes" }),
        ];
        foreach (var (path, fields) in actions)
        {
            fields["tenant"] = TenantB;
            fields[token.Name] = token.Value;
            var response = await operatorA.PostAsync(path, new FormUrlEncodedContent(fields));
            Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{path} {string.Join(",", fields.Keys)}: {response.StatusCode}");
        }

        Assert.Equal(JobState.Dead, (await fixture.Jobs.GetStatusAsync(TenantB, dead))!.State);
        Assert.Equal(JobState.Scheduled, (await fixture.Jobs.GetStatusAsync(TenantB, waiting))!.State);
        Assert.False((await fixture.Jobs.GetQueueStatsAsync(TenantB, ClusterFixture.Noop)).Paused);
        Assert.Null((await fixture.Jobs.GetScheduleAsync(TenantB, "b-nightly"))!.PausedAt);
        Assert.False((await fixture.Jobs.GetTenantStatusAsync(TenantB)).Paused);
        Assert.NotNull(await fixture.Jobs.GetScheduleAsync(TenantB, "b-nightly"));
        Assert.Equal(0, (await fixture.Jobs.GetQueueStatsAsync(TenantB, ClusterFixture.Noop)).Enqueued);

        // The same token and cookie do act on the operator's own tenant: the refusals above were about rights.
        var own = await operatorA.PostAsync("/jobs/pause", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["tenant"] = TenantA, ["jobType"] = ClusterFixture.Noop, ["action"] = "resume", [token.Name] = token.Value,
        }));
        Assert.Equal(HttpStatusCode.Redirect, own.StatusCode);
        Assert.StartsWith($"/jobs?tenant={TenantA}&note=", own.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task Input_that_is_not_valid_gets_a_page_naming_the_field()
    {
        using var operatorA = fixture.Client(TenantA, ApiKeyRole.Operator);
        foreach (var (page, field) in new[] { ("/jobs/find?id=", "id:"), ("/jobs/queue/test.noop?state=sleeping", "state:"), ("/jobs/dead?from=yesterday", "from:"), ("/jobs/dead?jobType=Bad%20Type", "jobType:"), ("/jobs/job/123", "id:") })
        {
            var response = await operatorA.GetAsync(page);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains(field, WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync()));
        }
    }
}
