using System.Net;
using System.Text;
using OrleansJobs.Security;
using static OrleansJobs.Tests.Http.HttpApiFixture;

namespace OrleansJobs.Tests.Http;

/// <summary>Every route that takes a path value, a query value or a body, walked with values it cannot use.</summary>
public sealed partial class HttpApiTests
{
    private const string Tenant = $"/v1/tenants/{TenantA}";
    private const string NotAnId = "not-a-job-id";

    /// <summary>Method, path, body (null for none), the caller's role, and the field and code the refusal must name.</summary>
    public static TheoryData<string, string, string?, ApiKeyRole, string, string> MalformedInputs => new()
    {
        // Path values: ids and names. (A NUL byte in the path never reaches the API: the server refuses the request line.)
        { "GET", $"{Tenant}/jobs/{NotAnId}", null, ApiKeyRole.Producer, "id", "invalid" },
        { "POST", $"{Tenant}/jobs/{NotAnId}/cancel", null, ApiKeyRole.Producer, "id", "invalid" },
        { "GET", $"{Tenant}/dead-letters/{NotAnId}", null, ApiKeyRole.Operator, "id", "invalid" },
        { "POST", $"{Tenant}/dead-letters/{NotAnId}/replay", null, ApiKeyRole.Operator, "id", "invalid" },
        { "GET", $"{Tenant}/queues/Not%20A%20Type/stats", null, ApiKeyRole.Operator, "jobType", "invalid_name" },
        { "GET", $"{Tenant}/schedules/Bad!", null, ApiKeyRole.Operator, "scheduleId", "invalid_name" },
        { "DELETE", $"{Tenant}/schedules/a%01b", null, ApiKeyRole.Operator, "scheduleId", "invalid_name" },
        { "POST", $"{Tenant}/schedules/Bad!/pause", null, ApiKeyRole.Operator, "scheduleId", "invalid_name" },
        { "GET", $"{Tenant}/queues/a%09b/policy", null, ApiKeyRole.Operator, "jobType", "invalid_name" },
        { "GET", "/v1/tenants/a%01b/queues", null, ApiKeyRole.Admin, "tenant", "invalid_name" },

        // Query values.
        { "GET", $"{Tenant}/dead-letters?errorContains={new string('x', 1001)}", null, ApiKeyRole.Operator, "errorContains", "too_long" },
        { "GET", $"{Tenant}/dead-letters?pageSize=ten", null, ApiKeyRole.Operator, "pageSize", "invalid_value" },
        { "GET", $"{Tenant}/dead-letters?pageSize=99999999999", null, ApiKeyRole.Operator, "pageSize", "invalid_value" },
        { "GET", $"{Tenant}/dead-letters?pageSize=0", null, ApiKeyRole.Operator, "pageSize", "out_of_range" },
        { "GET", $"{Tenant}/dead-letters?cursor={NotAnId}", null, ApiKeyRole.Operator, "cursor", "invalid" },
        { "GET", $"{Tenant}/dead-letters?from=yesterday", null, ApiKeyRole.Operator, "from", "invalid_time" },
        { "GET", $"{Tenant}/dead-letters?jobType=Not%20A%20Type", null, ApiKeyRole.Operator, "jobType", "invalid_name" },
        { "GET", $"{Tenant}/schedules?pageSize=%00", null, ApiKeyRole.Operator, "pageSize", "invalid_value" },
        { "GET", $"{Tenant}/schedules?pageSize=-1", null, ApiKeyRole.Operator, "pageSize", "out_of_range" },
        { "GET", $"{Tenant}/schedules?cursor=Bad!", null, ApiKeyRole.Operator, "cursor", "invalid_name" },
        { "GET", "/v1/keys?tenant=Bad!", null, ApiKeyRole.Admin, "tenant", "invalid_name" },

        // Bodies, at every route that reads one.
        { "POST", $"{Tenant}/jobs/batch", "", ApiKeyRole.Producer, "body", "malformed_json" },
        { "POST", $"{Tenant}/jobs/batch", """{"jobs":[1]}""", ApiKeyRole.Producer, "jobs[0]", "invalid_value" },
        { "POST", $"{Tenant}/jobs/batch", """{"jobs":[{"jobType":"test.noop","payload":{}}]} []""", ApiKeyRole.Producer, "body", "malformed_json" },
        { "POST", $"{Tenant}/dead-letters/replay", "", ApiKeyRole.Operator, "body", "malformed_json" },
        { "POST", $"{Tenant}/dead-letters/replay", """{"limit":0}""", ApiKeyRole.Operator, "limit", "out_of_range" },
        { "POST", $"{Tenant}/dead-letters/replay", """{"filter":{"jobType":7}}""", ApiKeyRole.Operator, "filter.jobType", "invalid_value" },
        { "PUT", $"{Tenant}/queues/test.noop/policy", "null", ApiKeyRole.Operator, "body", "required" },
        { "PUT", $"{Tenant}/queues/test.noop/policy", """{"maxConcurrency":"many"}""", ApiKeyRole.Operator, "maxConcurrency", "invalid_value" },
        { "PUT", $"{Tenant}/queues/test.noop/policy", """{"maxConcurrency":-1}""", ApiKeyRole.Operator, "policy.maxConcurrency", "out_of_range" },
        { "PUT", $"{Tenant}/queues/test.noop/policy", """{"circuitBreaker":{"failureRatio":2}}""", ApiKeyRole.Operator, "policy.circuitBreaker.failureRatio", "out_of_range" },
        { "POST", $"{Tenant}/jobs", """{"jobType":"test.noop","payload":{},"options":{"idempotencyKey":"k","idempotencyRetention":"-00:00:01"}}""", ApiKeyRole.Producer, "options.idempotencyRetention", "out_of_range" },
        { "PUT", $"{Tenant}/queues/test.noop/policy", """{"adaptiveConcurrency":{"minConcurrency":"one"}}""", ApiKeyRole.Operator, "adaptiveConcurrency.minConcurrency", "invalid_value" },
        { "PUT", $"{Tenant}/policy", "[]", ApiKeyRole.Admin, "body", "invalid_value" },
        { "PUT", $"{Tenant}/policy", """{"maxInFlight":1.5}""", ApiKeyRole.Admin, "maxInFlight", "invalid_value" },
        { "PUT", $"{Tenant}/schedules/nightly", "42", ApiKeyRole.Operator, "body", "invalid_value" },
        { "PUT", $"{Tenant}/schedules/nightly", """{"jobType":"test.noop","cron":"every night","payload":{}}""", ApiKeyRole.Operator, "cron", "invalid_cron" },
        { "PUT", $"{Tenant}/schedules/nightly", """{"jobType":"test.noop","cron":"0 3 * * *","payload":{},"cron":"0 4 * * *"}""", ApiKeyRole.Operator, "cron", "duplicate_property" },
        { "POST", "/v1/keys", "", ApiKeyRole.Admin, "body", "malformed_json" },
        { "POST", "/v1/keys", """{"role":"king","name":"k"}""", ApiKeyRole.Admin, "role", "invalid_value" },
        { "POST", "/v1/keys", """{"role":"producer","name":"k","tenant":"Bad!"}""", ApiKeyRole.Admin, "tenant", "invalid_name" },
    };

    [Theory]
    [MemberData(nameof(MalformedInputs))]
    public async Task Every_route_refuses_a_value_it_cannot_use_with_a_problem_naming_the_field_and_code(
        string method, string path, string? body, ApiKeyRole role, string field, string code)
    {
        using var client = role == ApiKeyRole.Admin ? fixture.Client(AdminKey) : fixture.Client(TenantA, role);
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        var problem = await ProblemAsync(await client.SendAsync(request), HttpStatusCode.BadRequest);
        Assert.Equal((field, code), (problem.GetProperty("field").GetString(), problem.GetProperty("code").GetString()));
    }

    [Fact]
    public async Task A_nul_byte_in_the_path_is_refused_by_the_server_before_the_api_reads_it()
    {
        using var client = Producer();
        var response = await client.GetAsync($"{Tenant}/jobs/a%00b");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }
}
