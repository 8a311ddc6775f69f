using System.Net;
using OrleansJobs.Security;
using OrleansJobs.Tests.Cluster;
using static OrleansJobs.Tests.Http.HttpApiFixture;

namespace OrleansJobs.Tests.Http;

/// <summary>The jobs search page over HTTP: across a tenant's job types, by state and last error; its own tenant only; fields named when not valid.</summary>
[Collection(HttpApiCollection.Name)]
public sealed class JobSearchPageTests(HttpApiFixture fixture)
{
    private readonly string _tenant = "s" + Guid.NewGuid().ToString("N")[..12];

    [Fact]
    public async Task The_search_finds_a_tenants_jobs_by_state_across_job_types_and_by_the_text_of_their_last_error()
    {
        var dead = await fixture.Jobs.EnqueueAsync(_tenant, ClusterFixture.Flaky, new ProbePayload(Fail: true));
        var later = await fixture.Jobs.EnqueueAfterAsync(_tenant, ClusterFixture.Noop, new ProbePayload(), TimeSpan.FromHours(1));
        await fixture.Probe.WaitForAsync(async () => (await fixture.Jobs.GetStatusAsync(_tenant, dead))?.State == JobState.Dead, "the failing job to be dead-lettered");
        using var admin = fixture.Client(AdminKey);

        var found = WebUtility.HtmlDecode(await admin.GetStringAsync($"/jobs/search?tenant={_tenant}&state=dead&error=failed+on+attempt+1"));
        Assert.Contains($"data-job-id=\"{dead}\"", found, StringComparison.Ordinal);
        var none = WebUtility.HtmlDecode(await admin.GetStringAsync($"/jobs/search?tenant={_tenant}&state=dead&error=no+such+text"));
        Assert.Contains("id=\"no-jobs\"", none, StringComparison.Ordinal);
        var scheduled = WebUtility.HtmlDecode(await admin.GetStringAsync($"/jobs/search?tenant={_tenant}&state=scheduled"));
        Assert.Contains($"data-job-id=\"{later}\"", scheduled, StringComparison.Ordinal);
        Assert.DoesNotContain($"data-job-id=\"{dead}\"", scheduled, StringComparison.Ordinal);

        // Another tenant's operator asking for this tenant gets its own tenant's jobs, none of these.
        using var other = fixture.Client(TenantB, ApiKeyRole.Operator);
        var theirs = WebUtility.HtmlDecode(await other.GetStringAsync($"/jobs/search?tenant={_tenant}&state=dead"));
        Assert.DoesNotContain(dead.ToString(), theirs, StringComparison.Ordinal);
        Assert.DoesNotContain(_tenant, theirs, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("state=finished", "state")]
    [InlineData("state=dead&from=yesterday", "from")]
    [InlineData("state=dead&jobType=no%20spaces", "jobType")]
    [InlineData("state=dead&cursor=1%7C2", "cursor")]
    public async Task A_search_that_is_not_valid_gets_a_page_naming_the_field(string query, string field)
    {
        using var admin = fixture.Client(AdminKey);

        var response = await admin.GetAsync($"/jobs/search?tenant={_tenant}&{query}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(field, WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync()), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_recurring_jobs_page_says_how_each_schedules_last_job_ended_and_the_tenants_page_counts_queues()
    {
        await fixture.Jobs.EnqueueAfterAsync(_tenant, ClusterFixture.Flaky, new ProbePayload(), TimeSpan.FromHours(1));
        using var admin = fixture.Client(AdminKey);
        var tenants = WebUtility.HtmlDecode(await admin.GetStringAsync($"/jobs/tenants?after={_tenant[..^1]}"));
        Assert.Matches($"<tr data-tenant=\"{_tenant}\">[\\s\\S]*?aria-label=\"1 queue\\(s\\) of {_tenant}\">1</a>", tenants);

        await fixture.Jobs.UpsertScheduleAsync(new RecurringJob { Tenant = _tenant, Id = "every-second", JobType = ClusterFixture.Noop, Cron = "* * * * * *" });
        try
        {
            await fixture.Probe.WaitForAsync(
                async () => WebUtility.HtmlDecode(await admin.GetStringAsync($"/jobs/schedules?tenant={_tenant}")).Contains("data-outcome=\"every-second\">succeeded<", StringComparison.Ordinal),
                "the schedule's last job to show as succeeded");
        }
        finally
        {
            await fixture.Jobs.DeleteScheduleAsync(_tenant, "every-second");
        }
    }
}
