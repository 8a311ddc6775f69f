using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OrleansJobs.Security;
using OrleansJobs.Tests.Cluster;
using static OrleansJobs.Tests.Http.HttpApiFixture;

namespace OrleansJobs.Tests.Http;

/// <summary>The HTTP API's jobs search and history: what the pages read, for scripts; operator rights; fields named when not valid.</summary>
[Collection(HttpApiCollection.Name)]
public sealed class ExplorerApiTests(HttpApiFixture fixture)
{
    private readonly string _tenant = "x" + Guid.NewGuid().ToString("N")[..12];

    [Fact]
    public async Task The_search_finds_a_tenants_jobs_by_state_and_error_and_the_history_counts_what_ran()
    {
        var dead = await fixture.Jobs.EnqueueAsync(_tenant, ClusterFixture.Flaky, new ProbePayload(Fail: true));
        var done = await fixture.Jobs.EnqueueAsync(_tenant, ClusterFixture.Noop, new ProbePayload());
        await fixture.Probe.WaitForAsync(async () => (await fixture.Jobs.GetStatusAsync(_tenant, dead))?.State == JobState.Dead
            && (await fixture.Jobs.GetStatusAsync(_tenant, done))?.State == JobState.Succeeded, "one job dead and one succeeded");
        using var admin = fixture.Client(AdminKey);

        var found = await admin.GetFromJsonAsync<JsonElement>($"/v1/tenants/{_tenant}/jobs?state=dead&errorContains=failed%20on%20attempt");
        Assert.Equal([dead.ToString()], found.GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("id").GetString()));
        Assert.Equal(JsonValueKind.Null, found.GetProperty("nextCursor").ValueKind);

        // Paged: one succeeded and one dead job, a page of one each, across job types.
        var first = await admin.GetFromJsonAsync<JsonElement>($"/v1/tenants/{_tenant}/jobs?state=succeeded&pageSize=1");
        Assert.Equal([done.ToString()], first.GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("id").GetString()));

        JsonElement history = default;
        await fixture.Probe.WaitForAsync(async () =>
        {
            history = await admin.GetFromJsonAsync<JsonElement>($"/v1/tenants/{_tenant}/history?minutes=5");
            return history.GetProperty("minutes").EnumerateArray().Sum(m => m.GetProperty("succeeded").GetInt64()) == 1
                && history.GetProperty("minutes").EnumerateArray().Sum(m => m.GetProperty("deadLettered").GetInt64()) == 1;
        }, "the history to count the two jobs");
        var queues = history.GetProperty("queues").EnumerateArray().ToDictionary(q => q.GetProperty("jobType").GetString()!, q => q.GetProperty("enqueued").GetInt64());
        Assert.Equal(1, queues[ClusterFixture.Flaky]);
        Assert.Equal(1, queues[ClusterFixture.Noop]);

        // A producer may not read them; another tenant's operator gets nothing of this one.
        using var producer = fixture.Client(TenantA, ApiKeyRole.Producer);
        Assert.Equal(HttpStatusCode.Forbidden, (await producer.GetAsync($"/v1/tenants/{TenantA}/jobs?state=dead")).StatusCode);
        using var other = fixture.Client(TenantB, ApiKeyRole.Operator);
        Assert.Equal(HttpStatusCode.Forbidden, (await other.GetAsync($"/v1/tenants/{_tenant}/jobs?state=dead")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await other.GetAsync($"/v1/tenants/{_tenant}/history")).StatusCode);
    }

    [Theory]
    [InlineData("jobs?state=finished", "state")]
    [InlineData("jobs?state=dead&pageSize=0", "pageSize")]
    [InlineData("jobs?state=dead&pageSize=many", "pageSize")]
    [InlineData("jobs?state=dead&from=yesterday", "from")]
    [InlineData("jobs?state=dead&jobType=Bad%20Type", "jobType")]
    [InlineData("jobs?state=enqueued&cursor=1%7C2", "cursor")]
    [InlineData("history?minutes=0", "minutes")]
    [InlineData("history?minutes=1441", "minutes")]
    public async Task A_search_or_history_that_is_not_valid_is_a_problem_naming_the_field(string query, string field)
    {
        using var admin = fixture.Client(AdminKey);

        var response = await admin.GetAsync($"/v1/tenants/{_tenant}/{query}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(field, problem.GetProperty("field").GetString());
    }
}
