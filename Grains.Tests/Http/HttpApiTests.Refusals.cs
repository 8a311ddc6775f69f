using System.Net;
using System.Net.Http.Json;
using System.Text;
using OrleansJobs.Http.Endpoints;
using OrleansJobs.Security;
using static OrleansJobs.Tests.Http.HttpApiFixture;

namespace OrleansJobs.Tests.Http;

/// <summary>The API's refusals of bad input: every one a problem naming the field and a stable code, and nothing stored.</summary>
public sealed partial class HttpApiTests
{
    public static TheoryData<string, string, string> BadRequests => new()
    {
        { $"/v1/tenants/{TenantA}/jobs", $$$"""{"jobType":"no.such-type","payload":{}}""", "jobType" },
        { $"/v1/tenants/{TenantA}/jobs", $$$"""{"jobType":"{{{Noop}}}"}""", "payload" },
        { $"/v1/tenants/{TenantA}/jobs", $$$"""{"jobType":"{{{Noop}}}","payload":{"blob":"{{{new string('x', 5000)}}}"}}""", "payload" },
        { $"/v1/tenants/{TenantA}/jobs", $$$"""{"jobType":"{{{Noop}}}","payload":{},"options":{"delay":"-00:00:05"}}""", "options.delay" },
        { $"/v1/tenants/{TenantA}/jobs", $$$"""{"jobType":"{{{Noop}}}","payload":{},"options":{"maxAttempts":0}}""", "options.maxAttempts" },
        { $"/v1/tenants/{TenantA}/jobs", $$$"""{"jobType":"Bad Type!","payload":{}}""", "jobType" },
        { $"/v1/tenants/{TenantA}/jobs/batch", $$$"""{"jobs":[{"jobType":"{{{Noop}}}","payload":{}},{"jobType":"{{{Noop}}}","payload":{},"options":{"timeout":"-00:00:01"}}]}""", "jobs[1].options.timeout" },
        { $"/v1/tenants/{TenantA}/jobs/batch", """{"jobs":[]}""", "jobs" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Bad_input_is_a_problem_naming_the_field_and_stores_nothing(string path, string json, string field)
    {
        var before = (await fixture.Jobs.GetQueueStatsAsync(TenantA, Noop)).Scheduled + (await fixture.Jobs.GetQueueStatsAsync(TenantA, Noop)).Enqueued;
        var response = await Producer().PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal(field, problem.GetProperty("field").GetString());
        var after = (await fixture.Jobs.GetQueueStatsAsync(TenantA, Noop)).Scheduled + (await fixture.Jobs.GetQueueStatsAsync(TenantA, Noop)).Enqueued;
        Assert.Equal(before, after);
    }

    public static TheoryData<string, string, string, string> UnreadableBodies => new()
    {
        { $"/v1/tenants/{TenantA}/jobs", $$$"""{"jobType":"{{{Noop}}}","payload":{""", "payload", "malformed_json" },
        { $"/v1/tenants/{TenantA}/jobs", $$$"""{"jobType":"{{{Noop}}}","payload":{}} trailing""", "body", "malformed_json" },
        { $"/v1/tenants/{TenantA}/jobs", "", "body", "malformed_json" },
        { $"/v1/tenants/{TenantA}/jobs", "null", "body", "required" },
        { $"/v1/tenants/{TenantA}/jobs", "42", "body", "invalid_value" },
        { $"/v1/tenants/{TenantA}/jobs", $$$"""{"jobType":"{{{Noop}}}","payload":{},"options":{"maxAttempts":"three"}}""", "options.maxAttempts", "invalid_value" },
        { $"/v1/tenants/{TenantA}/jobs", $$$"""{"jobType":"{{{Noop}}}","payload":{},"options":{"maxAttempts":99999999999}}""", "options.maxAttempts", "invalid_value" },
        { $"/v1/tenants/{TenantA}/jobs", $$$"""{"jobType":"{{{Noop}}}","payload":{},"options":{"priority":"urgent"}}""", "options.priority", "invalid_value" },
        { $"/v1/tenants/{TenantA}/jobs", $$$"""{"jobType":"{{{Noop}}}","jobType":"other","payload":{}}""", "jobType", "duplicate_property" },
        { $"/v1/tenants/{TenantA}/jobs", $$$"""{"jobType":"{{{Noop}}}","payload":{"to":"a@example.com","to":"b@example.com"}}""", "payload", "duplicate_property" },
        { $"/v1/tenants/{TenantA}/jobs", $$$"""{"jobType":"{{{Noop}}}","payload":{{{string.Concat(Enumerable.Repeat("""{"a":""", 100))}}}1{{{new string('}', 100)}}}}""", "payload", "malformed_json" },
        { $"/v1/tenants/{TenantA}/jobs/batch", """{"jobs":{}}""", "jobs", "invalid_value" },
        { $"/v1/tenants/{TenantA}/dead-letters/replay", """{"limit":"all"}""", "limit", "invalid_value" },
        { $"/v1/tenants/{TenantA}/jobs", $$$"""{"jobType":"{{{Noop}}}","payload":{},"options":{"runAt":"2030-12-06T10:00:00"}}""", "options.runAt", "missing_offset" },
        { $"/v1/tenants/{TenantA}/jobs", $$$"""{"jobType":"{{{Noop}}}","payload":{},"options":{"runAt":"next tuesday"}}""", "options.runAt", "invalid_value" },
        { $"/v1/tenants/{TenantA}/dead-letters/replay", """{"filter":{"from":"2026-01-01T00:00:00"}}""", "filter.from", "missing_offset" },
    };

    [Fact]
    public async Task Invalid_utf8_in_a_payload_is_refused_not_replaced()
    {
        var before = await fixture.Jobs.GetQueueStatsAsync(TenantA, Noop);
        byte[] body = [.. Encoding.UTF8.GetBytes($$"""{"jobType":"{{Noop}}","payload":{"name":"caf"""), 0xE9, .. Encoding.UTF8.GetBytes("\"}}")];
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");

        var problem = await ProblemAsync(await Producer().PostAsync($"/v1/tenants/{TenantA}/jobs", content), HttpStatusCode.BadRequest);
        Assert.Equal(("payload", "invalid_utf8"), (problem.GetProperty("field").GetString(), problem.GetProperty("code").GetString()));
        var after = await fixture.Jobs.GetQueueStatsAsync(TenantA, Noop);
        Assert.Equal(before.Scheduled + before.Enqueued, after.Scheduled + after.Enqueued);
    }

    [Fact]
    public async Task A_caller_without_the_right_learns_nothing_from_a_bad_body()
    {
        var otherTenant = await Producer(TenantB).PostAsync($"/v1/tenants/{TenantA}/jobs", new StringContent("{oops", Encoding.UTF8, "application/json"));
        await ProblemAsync(otherTenant, HttpStatusCode.Forbidden);
        var producerOnAdminRoute = await Producer().PostAsync("/v1/keys", new StringContent("null", Encoding.UTF8, "application/json"));
        await ProblemAsync(producerOnAdminRoute, HttpStatusCode.Forbidden);
        using var anonymous = fixture.Client(null);
        await ProblemAsync(await anonymous.PostAsync($"/v1/tenants/{TenantA}/jobs", new StringContent("{oops", Encoding.UTF8, "application/json")), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Times_need_a_utc_offset_and_schedules_a_named_time_zone()
    {
        var at = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.AddDays(30).ToUnixTimeSeconds());
        var inParis = at.ToOffset(TimeSpan.FromHours(1)).ToString("yyyy-MM-ddTHH:mm:sszzz", System.Globalization.CultureInfo.InvariantCulture);
        var later = await Producer().PostAsJsonAsync($"/v1/tenants/{TenantA}/jobs", new { jobType = Noop, payload = new { }, options = new { runAt = inParis } });
        var id = (await OkAsync<EnqueueResponse>(later, HttpStatusCode.Accepted)).Id;
        Assert.Equal(at, (await fixture.Jobs.GetStatusAsync(TenantA, id))!.RunAt);

        var noOffset = await ProblemAsync(await Operator().GetAsync($"/v1/tenants/{TenantA}/dead-letters?from=2026-01-01T00:00:00"), HttpStatusCode.BadRequest);
        Assert.Equal(("from", "missing_offset"), (noOffset.GetProperty("field").GetString(), noOffset.GetProperty("code").GetString()));
        var garbage = await ProblemAsync(await Operator().GetAsync($"/v1/tenants/{TenantA}/dead-letters?to=soon"), HttpStatusCode.BadRequest);
        Assert.Equal(("to", "invalid_time"), (garbage.GetProperty("field").GetString(), garbage.GetProperty("code").GetString()));
        await OkAsync<DeadLetterPage>(await Operator().GetAsync($"/v1/tenants/{TenantA}/dead-letters?from=2026-01-01T00:00:00Z"));

        foreach (var (zone, code) in new[] { ("", "required"), ("  ", "required"), ("Mars/Olympus_Mons", "invalid_time_zone") })
        {
            var problem = await ProblemAsync(await Operator().PutAsJsonAsync($"/v1/tenants/{TenantA}/schedules/zoned", new { jobType = Noop, cron = "0 3 * * *", timeZone = zone, payload = new { } }), HttpStatusCode.BadRequest);
            Assert.Equal(("timeZone", code), (problem.GetProperty("field").GetString(), problem.GetProperty("code").GetString()));
        }

        await ProblemAsync(await Operator().GetAsync($"/v1/tenants/{TenantA}/schedules/zoned"), HttpStatusCode.NotFound);
    }

    [Theory]
    [MemberData(nameof(UnreadableBodies))]
    public async Task A_body_that_cannot_be_read_is_a_problem_naming_the_field_and_a_stable_code(string path, string json, string field, string code)
    {
        using var client = fixture.Client(TenantA, ApiKeyRole.Operator);
        var response = await client.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.StartsWith(field, problem.GetProperty("field").GetString());
        Assert.Equal(code, problem.GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_hostile_tenant_in_the_path_is_refused()
    {
        using var admin = Admin;
        var problem = await ProblemAsync(await admin.GetAsync("/v1/tenants/..%2F..%2Fetc/queues"), HttpStatusCode.BadRequest);
        Assert.Equal("tenant", problem.GetProperty("field").GetString());
        await ProblemAsync(await admin.GetAsync($"/v1/tenants/{new string('a', 64)}/schedules"), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Oversized_bodies_are_refused_with_413_before_they_are_read()
    {
        var big = new ByteArrayContent(new byte[200_000]);
        big.Headers.ContentType = new("application/json");
        await ProblemAsync(await Producer().PostAsync($"/v1/tenants/{TenantA}/jobs", big), HttpStatusCode.RequestEntityTooLarge);

        // Without a Content-Length (chunked), the server stops reading at the limit.
        var chunked = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes($$"""{"jobType":"{{Noop}}","payload":"{{new string('x', 200_000)}}"}""")));
        chunked.Headers.ContentType = new("application/json");
        var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/tenants/{TenantA}/jobs") { Content = chunked };
        request.Headers.TransferEncodingChunked = true;
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await Producer().SendAsync(request)).StatusCode);
    }
}
