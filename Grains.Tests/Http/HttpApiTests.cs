using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OrleansJobs.Http.Endpoints;
using OrleansJobs.Security;
using OrleansJobs.Tests.Cluster;
using static OrleansJobs.Tests.Http.HttpApiFixture;

namespace OrleansJobs.Tests.Http;

[Collection(HttpApiCollection.Name)]
public sealed partial class HttpApiTests(HttpApiFixture fixture)
{
    private const string Noop = ClusterFixture.Noop;
    private const string Flaky = ClusterFixture.Flaky;
    private static readonly string SomeId = "019a0000-0000-7000-8000-000000000000";

    private HttpClient Producer(string tenant = TenantA) => fixture.Client(tenant, ApiKeyRole.Producer);

    private HttpClient Operator(string tenant = TenantA) => fixture.Client(tenant, ApiKeyRole.Operator);

    private HttpClient Admin => fixture.Client(AdminKey);

    /// <summary>Every endpoint, with a body where it takes one, for tenant <paramref name="tenant"/>.</summary>
    private static IEnumerable<(HttpMethod Method, string Path, object? Body)> Endpoints(string tenant, string id) =>
    [
        (HttpMethod.Post, $"/v1/tenants/{tenant}/jobs", new { jobType = Noop, payload = new { } }),
        (HttpMethod.Post, $"/v1/tenants/{tenant}/jobs/batch", new { jobs = new[] { new { jobType = Noop, payload = new { } } } }),
        (HttpMethod.Get, $"/v1/tenants/{tenant}/jobs/{id}", null),
        (HttpMethod.Post, $"/v1/tenants/{tenant}/jobs/{id}/cancel", null),
        (HttpMethod.Get, $"/v1/tenants/{tenant}/dead-letters", null),
        (HttpMethod.Get, $"/v1/tenants/{tenant}/dead-letters/{id}", null),
        (HttpMethod.Post, $"/v1/tenants/{tenant}/dead-letters/{id}/replay", null),
        (HttpMethod.Post, $"/v1/tenants/{tenant}/dead-letters/replay", new { limit = 10 }),
        (HttpMethod.Get, $"/v1/tenants/{tenant}/queues", null),
        (HttpMethod.Get, $"/v1/tenants/{tenant}/queues/{Noop}/stats", null),
        (HttpMethod.Get, $"/v1/tenants/{tenant}/queues/{Noop}/policy", null),
        (HttpMethod.Put, $"/v1/tenants/{tenant}/queues/{Noop}/policy", new { maxConcurrency = 8 }),
        (HttpMethod.Get, $"/v1/tenants/{tenant}/policy", null),
        (HttpMethod.Put, $"/v1/tenants/{tenant}/policy", new { maxInFlight = 50 }),
        (HttpMethod.Get, $"/v1/tenants/{tenant}/schedules", null),
        (HttpMethod.Get, $"/v1/tenants/{tenant}/schedules/nightly", null),
        (HttpMethod.Put, $"/v1/tenants/{tenant}/schedules/nightly", new { jobType = Noop, cron = "0 3 * * *", payload = new { } }),
        (HttpMethod.Delete, $"/v1/tenants/{tenant}/schedules/nightly", null),
        (HttpMethod.Post, $"/v1/tenants/{tenant}/schedules/nightly/pause", null),
        (HttpMethod.Post, $"/v1/tenants/{tenant}/schedules/nightly/resume", null),
        (HttpMethod.Post, $"/v1/tenants/{tenant}/queues/{Noop}/pause", null),
        (HttpMethod.Post, $"/v1/tenants/{tenant}/queues/{Noop}/resume", null),
        (HttpMethod.Get, $"/v1/tenants/{tenant}/status", null),
        (HttpMethod.Post, $"/v1/tenants/{tenant}/pause", null),
        (HttpMethod.Post, $"/v1/tenants/{tenant}/resume", null),
    ];

    private static HttpRequestMessage Request(HttpMethod method, string path, object? body) =>
        new(method, path) { Content = body is null ? null : JsonContent.Create(body) };

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        return problem;
    }

    private static async Task<T> OkAsync<T>(HttpResponseMessage response, HttpStatusCode status = HttpStatusCode.OK)
    {
        Assert.True(response.StatusCode == status, $"expected {status}, got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<T>(HttpJson.Options))!;
    }

    [Fact]
    public async Task Every_endpoint_answers_401_without_a_key_or_with_a_wrong_or_made_up_one()
    {
        var endpoints = Endpoints(TenantA, SomeId).Append((HttpMethod.Get, "/v1/keys", null)).Append((HttpMethod.Get, "/v1/queues", null)).ToList();
        foreach (var key in new[] { null, "", "ojk_0123456789ab_not-the-secret", "hello", AdminKey + "x" })
        {
            using var client = fixture.Client(key);
            foreach (var (method, path, body) in endpoints)
            {
                var response = await client.SendAsync(Request(method, path, body));
                await ProblemAsync(response, HttpStatusCode.Unauthorized);
                Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
            }
        }
    }

    [Fact]
    public async Task A_key_for_one_tenant_gets_403_on_every_route_of_another_and_404_for_its_job_ids()
    {
        var theirs = await OkAsync<EnqueueResponse>(await Producer(TenantB).PostAsJsonAsync($"/v1/tenants/{TenantB}/jobs", new { jobType = Noop, payload = new { } }), HttpStatusCode.Accepted);
        var deadOfTheirs = await DeadLetterAsync(TenantB);

        foreach (var client in new[] { Producer(), Operator() })
        {
            foreach (var (method, path, body) in Endpoints(TenantB, theirs.Id.ToString()))
            {
                var response = await client.SendAsync(Request(method, path, body));
                Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{method} {path}: {(int)response.StatusCode}");
            }
        }

        // Under its own tenant's routes, tenant B's ids simply do not exist.
        foreach (var (method, path) in new[]
        {
            (HttpMethod.Get, $"/v1/tenants/{TenantA}/jobs/{theirs.Id}"),
            (HttpMethod.Post, $"/v1/tenants/{TenantA}/jobs/{theirs.Id}/cancel"),
            (HttpMethod.Get, $"/v1/tenants/{TenantA}/dead-letters/{deadOfTheirs}"),
            (HttpMethod.Post, $"/v1/tenants/{TenantA}/dead-letters/{deadOfTheirs}/replay"),
        })
        {
            await ProblemAsync(await Operator().SendAsync(new HttpRequestMessage(method, path)), HttpStatusCode.NotFound);
        }

        Assert.Equal(JobState.Dead, (await fixture.Jobs.GetStatusAsync(TenantB, deadOfTheirs))!.State);
        Assert.DoesNotContain((await OkAsync<List<QueueStats>>(await Operator().GetAsync($"/v1/tenants/{TenantA}/queues"))), q => q.Tenant == TenantB);
    }

    [Fact]
    public async Task Producers_are_refused_operator_and_admin_endpoints_and_operators_admin_ones()
    {
        foreach (var (method, path, body) in Endpoints(TenantA, SomeId).Skip(4))
        {
            var response = await Producer().SendAsync(Request(method, path, body));
            Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"producer {method} {path}: {(int)response.StatusCode}");
        }

        await ProblemAsync(await Operator().PutAsJsonAsync($"/v1/tenants/{TenantA}/policy", new { maxInFlight = 1000 }), HttpStatusCode.Forbidden);
        await ProblemAsync(await Operator().GetAsync("/v1/keys"), HttpStatusCode.Forbidden);
        await ProblemAsync(await Operator().GetAsync("/v1/queues"), HttpStatusCode.Forbidden);
        await ProblemAsync(await Operator().PostAsJsonAsync("/v1/keys", new { role = "admin", name = "me" }), HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task A_producer_enqueues_one_or_many_reads_their_status_and_cancels_a_waiting_job()
    {
        var first = await Producer().PostAsJsonAsync($"/v1/tenants/{TenantA}/jobs", new { jobType = Noop, payload = new { delayMs = 1 }, options = new { priority = "high", idempotencyKey = "order-42" } });
        Assert.False(first.Headers.Contains("Idempotent-Replayed"));
        var one = await OkAsync<EnqueueResponse>(first, HttpStatusCode.Accepted);
        Assert.True(one.Created);

        // The same key again is a replay, and says so: 200, created false, the first job's id and status URL.
        var repeat = await Producer().PostAsJsonAsync($"/v1/tenants/{TenantA}/jobs", new { jobType = Noop, payload = new { }, options = new { idempotencyKey = "order-42" } });
        Assert.Equal("true", Assert.Single(repeat.Headers.GetValues("Idempotent-Replayed")));
        Assert.EndsWith($"/v1/tenants/{TenantA}/jobs/{one.Id}", repeat.Headers.Location?.ToString());
        var again = await OkAsync<EnqueueResponse>(repeat);
        Assert.Equal((one.Id, false), (again.Id, again.Created));

        var many = await OkAsync<BatchEnqueueResponse>(await Producer().PostAsJsonAsync($"/v1/tenants/{TenantA}/jobs/batch", new
        {
            jobs = new object[] { new { jobType = Noop, payload = new { } }, new { jobType = Noop, payload = new { delayMs = 1 }, options = new { idempotencyKey = "order-42" } } },
        }));
        Assert.Equal(2, many.Ids.Count);
        Assert.Equal([true, false], many.Created);
        Assert.Equal(one.Id, many.Ids[1]);
        await fixture.Probe.WaitForAsync(() => many.Ids.Append(one.Id).All(id => fixture.Probe.Successes(id) == 1), "the enqueued jobs to run");

        var status = await OkAsync<JobInfo>(await Producer().GetAsync($"/v1/tenants/{TenantA}/jobs/{one.Id}"));
        Assert.Equal((JobState.Succeeded, JobPriority.High, "order-42"), (status.State, status.Priority, status.IdempotencyKey));

        var later = await OkAsync<EnqueueResponse>(await Producer().PostAsJsonAsync($"/v1/tenants/{TenantA}/jobs", new { jobType = Noop, payload = new { }, options = new { delay = "01:00:00" } }), HttpStatusCode.Accepted);
        Assert.True((await OkAsync<CancelResponse>(await Producer().PostAsync($"/v1/tenants/{TenantA}/jobs/{later.Id}/cancel", null))).Cancelled);
        Assert.Equal(JobState.Cancelled, (await OkAsync<JobInfo>(await Producer().GetAsync($"/v1/tenants/{TenantA}/jobs/{later.Id}"))).State);
        Assert.False((await OkAsync<CancelResponse>(await Producer().PostAsync($"/v1/tenants/{TenantA}/jobs/{later.Id}/cancel", null))).Cancelled);
        var notAnId = await ProblemAsync(await Producer().GetAsync($"/v1/tenants/{TenantA}/jobs/not-an-id"), HttpStatusCode.BadRequest);
        Assert.Equal(("id", "invalid"), (notAnId.GetProperty("field").GetString(), notAnId.GetProperty("code").GetString()));
        await ProblemAsync(await Producer().GetAsync($"/v1/tenants/{TenantA}/jobs/{JobIdGenerator.Shared.Next()}"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task An_operator_pauses_and_resumes_its_whole_tenant_which_keeps_taking_jobs_meanwhile()
    {
        const string tenant = TenantB;
        await ProblemAsync(await Producer(tenant).PostAsync($"/v1/tenants/{tenant}/pause", null), HttpStatusCode.Forbidden);
        await ProblemAsync(await Operator(TenantA).PostAsync($"/v1/tenants/{tenant}/pause", null), HttpStatusCode.Forbidden);
        try
        {
            Assert.True((await OkAsync<TenantStatus>(await Operator(tenant).PostAsync($"/v1/tenants/{tenant}/pause", null))).Paused);
            Assert.True((await OkAsync<TenantStatus>(await Operator(tenant).GetAsync($"/v1/tenants/{tenant}/status"))).Paused);
            var job = await OkAsync<EnqueueResponse>(await Producer(tenant).PostAsJsonAsync($"/v1/tenants/{tenant}/jobs", new { jobType = Noop, payload = new { } }), HttpStatusCode.Accepted);
            await fixture.Probe.WaitForAsync(
                async () => (await OkAsync<QueueStats>(await Operator(tenant).GetAsync($"/v1/tenants/{tenant}/queues/{Noop}/stats"))).TenantPaused,
                "the queue to report its tenant paused");
            Assert.Empty(fixture.Probe.Starts(job.Id));

            Assert.False((await OkAsync<TenantStatus>(await Operator(tenant).PostAsync($"/v1/tenants/{tenant}/resume", null))).Paused);
            await fixture.Probe.WaitForAsync(() => fixture.Probe.Successes(job.Id) == 1, "the job to run once the tenant is resumed");
        }
        finally
        {
            await Operator(tenant).PostAsync($"/v1/tenants/{tenant}/resume", null);
        }
    }

    [Fact]
    public async Task An_operator_pauses_and_resumes_a_queue_which_keeps_taking_jobs_meanwhile()
    {
        const string tenant = TenantB;
        await ProblemAsync(await Producer(tenant).PostAsync($"/v1/tenants/{tenant}/queues/{Noop}/pause", null), HttpStatusCode.Forbidden);
        try
        {
            Assert.True((await OkAsync<QueueStats>(await Operator(tenant).PostAsync($"/v1/tenants/{tenant}/queues/{Noop}/pause", null))).Paused);
            var job = await OkAsync<EnqueueResponse>(await Producer(tenant).PostAsJsonAsync($"/v1/tenants/{tenant}/jobs", new { jobType = Noop, payload = new { } }), HttpStatusCode.Accepted);
            var stats = await OkAsync<QueueStats>(await Operator(tenant).GetAsync($"/v1/tenants/{tenant}/queues/{Noop}/stats"));
            Assert.True(stats.Paused);
            Assert.Contains(await OkAsync<List<QueueStats>>(await Operator(tenant).GetAsync($"/v1/tenants/{tenant}/queues")), q => q.JobType == Noop && q.Paused);

            Assert.False((await OkAsync<QueueStats>(await Operator(tenant).PostAsync($"/v1/tenants/{tenant}/queues/{Noop}/resume", null))).Paused);
            await fixture.Probe.WaitForAsync(() => fixture.Probe.Successes(job.Id) == 1, "the job to run once the queue is resumed");
        }
        finally
        {
            await Operator(tenant).PostAsync($"/v1/tenants/{tenant}/queues/{Noop}/resume", null);
        }
    }

    [Fact]
    public async Task A_full_queue_answers_429_with_retry_after_and_stores_nothing()
    {
        const string tenant = TenantA;
        var policy = await OkAsync<QueuePolicy>(await Operator().PutAsJsonAsync($"/v1/tenants/{tenant}/queues/{Flaky}/policy", new { maxBacklog = 2 }));
        Assert.Equal(2, policy.MaxBacklog);
        try
        {
            foreach (var _ in Enumerable.Range(0, 2))
            {
                await OkAsync<EnqueueResponse>(await Producer().PostAsJsonAsync($"/v1/tenants/{tenant}/jobs", new { jobType = Flaky, payload = new { }, options = new { delay = "01:00:00" } }), HttpStatusCode.Accepted);
            }

            var response = await Producer().PostAsJsonAsync($"/v1/tenants/{tenant}/jobs", new { jobType = Flaky, payload = new { }, options = new { delay = "01:00:00" } });
            var problem = await ProblemAsync(response, (HttpStatusCode)429);
            Assert.True(response.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
            Assert.Equal(2, problem.GetProperty("maxBacklog").GetInt64());
            Assert.Equal(2, (await fixture.Jobs.GetQueueStatsAsync(tenant, Flaky)).Scheduled);
        }
        finally
        {
            await Operator().PutAsJsonAsync($"/v1/tenants/{tenant}/queues/{Flaky}/policy", new { });
        }
    }

    [Fact]
    public async Task An_operator_lists_inspects_and_replays_dead_letters_by_id_and_by_filter()
    {
        var first = await DeadLetterAsync(TenantA);
        var second = await DeadLetterAsync(TenantA);

        var page = await OkAsync<DeadLetterPage>(await Operator().GetAsync($"/v1/tenants/{TenantA}/dead-letters?jobType={Flaky}&pageSize=1"));
        Assert.Single(page.Jobs);
        Assert.NotNull(page.NextCursor);
        var next = await OkAsync<DeadLetterPage>(await Operator().GetAsync($"/v1/tenants/{TenantA}/dead-letters?jobType={Flaky}&pageSize=1&cursor={page.NextCursor}"));
        Assert.NotEqual(page.Jobs[0].Id, next.Jobs[0].Id);

        var dead = await OkAsync<DeadLetterResponse>(await Operator().GetAsync($"/v1/tenants/{TenantA}/dead-letters/{first}"));
        Assert.Contains("failed on attempt 1", dead.Errors.Single().Message);
        Assert.True(dead.Payload.GetProperty("fail").GetBoolean(), "the payload comes back as JSON, not base64");

        fixture.Probe.Heal(first);
        Assert.Equal(1, (await OkAsync<ReplayResponse>(await Operator().PostAsync($"/v1/tenants/{TenantA}/dead-letters/{first}/replay", null))).Replayed);
        await ProblemAsync(await Operator().PostAsync($"/v1/tenants/{TenantA}/dead-letters/{first}/replay", null), HttpStatusCode.NotFound);
        var replayed = await OkAsync<ReplayResponse>(await Operator().PostAsJsonAsync($"/v1/tenants/{TenantA}/dead-letters/replay", new { filter = new { jobType = Flaky, errorContains = "failed on attempt" }, limit = 1000 }));
        Assert.True(replayed.Replayed >= 1);
        await fixture.Probe.WaitForAsync(() => fixture.Probe.Starts(second).Count == 2, "the filtered replay to run the second job again");
        await ProblemAsync(await Operator().GetAsync($"/v1/tenants/{TenantA}/dead-letters?cursor=nope"), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task An_operator_reads_queue_stats_and_sets_queue_and_reads_tenant_policy_which_an_admin_sets()
    {
        var id = (await OkAsync<EnqueueResponse>(await Producer().PostAsJsonAsync($"/v1/tenants/{TenantA}/jobs", new { jobType = Noop, payload = new { } }), HttpStatusCode.Accepted)).Id;
        await fixture.Probe.WaitForAsync(() => fixture.Probe.Successes(id) == 1, "the job to run");
        var stats = await OkAsync<QueueStats>(await Operator().GetAsync($"/v1/tenants/{TenantA}/queues/{Noop}/stats"));
        Assert.Equal((TenantA, Noop), (stats.Tenant, stats.JobType));
        Assert.True(stats.Succeeded >= 1);

        var set = await OkAsync<QueuePolicy>(await Operator().PutAsJsonAsync($"/v1/tenants/{TenantA}/queues/{Noop}/policy", new { maxConcurrency = 3, ratePerSecond = 100 }));
        Assert.Equal((3, 100.0), (set.MaxConcurrency!.Value, set.RatePerSecond!.Value));
        Assert.Equal(set, await OkAsync<QueuePolicy>(await Operator().GetAsync($"/v1/tenants/{TenantA}/queues/{Noop}/policy")));
        var bad = await ProblemAsync(await Operator().PutAsJsonAsync($"/v1/tenants/{TenantA}/queues/{Noop}/policy", new { maxConcurrency = 0 }), HttpStatusCode.BadRequest);
        Assert.Equal("policy.maxConcurrency", bad.GetProperty("field").GetString());
        await Operator().PutAsJsonAsync($"/v1/tenants/{TenantA}/queues/{Noop}/policy", new { });

        Assert.Equal(new TenantPolicy { MaxInFlight = 40 }, await OkAsync<TenantPolicy>(await Admin.PutAsJsonAsync($"/v1/tenants/{TenantB}/policy", new { maxInFlight = 40 })));
        Assert.Equal(new TenantPolicy { MaxInFlight = 40 }, await OkAsync<TenantPolicy>(await Operator(TenantB).GetAsync($"/v1/tenants/{TenantB}/policy")));
        await Admin.PutAsJsonAsync($"/v1/tenants/{TenantB}/policy", new { });

        var all = await OkAsync<List<QueueStats>>(await Admin.GetAsync("/v1/queues"));
        Assert.All(all, q => Assert.True(q.Scheduled + q.Enqueued + q.Active > 0));
    }

    [Fact]
    public async Task An_operator_creates_reads_lists_replaces_and_deletes_schedules_and_bad_cron_is_a_problem()
    {
        var created = await OkAsync<ScheduleResponse>(await Operator().PutAsJsonAsync($"/v1/tenants/{TenantA}/schedules/nightly", new { jobType = Noop, cron = "0 3 * * *", timeZone = "Europe/Paris", payload = new { report = true } }));
        Assert.Equal(("nightly", "Europe/Paris"), (created.Id, created.TimeZone));
        Assert.True(created.Payload.GetProperty("report").GetBoolean(), "the payload comes back as JSON, not base64");
        Assert.NotNull(created.NextOccurrence);

        var replaced = await OkAsync<ScheduleResponse>(await Operator().PutAsJsonAsync($"/v1/tenants/{TenantA}/schedules/nightly", new { jobType = Noop, cron = "0 4 * * *", payload = new { }, misfire = "skip" }));
        Assert.Equal(("0 4 * * *", MisfirePolicy.Skip), (replaced.Cron, replaced.Misfire));
        Assert.Equal(replaced.Cron, (await OkAsync<ScheduleResponse>(await Operator().GetAsync($"/v1/tenants/{TenantA}/schedules/nightly"))).Cron);
        Assert.Contains("nightly", (await OkAsync<SchedulePageResponse>(await Operator().GetAsync($"/v1/tenants/{TenantA}/schedules"))).Items.Select(s => s.Id));

        var paused = await OkAsync<ScheduleResponse>(await Operator().PostAsync($"/v1/tenants/{TenantA}/schedules/nightly/pause", null));
        Assert.Equal((true, (DateTimeOffset?)null), (paused.PausedAt is not null, paused.NextOccurrence));
        var resumed = await OkAsync<ScheduleResponse>(await Operator().PostAsync($"/v1/tenants/{TenantA}/schedules/nightly/resume", null));
        Assert.Equal((false, true), (resumed.PausedAt is not null, resumed.NextOccurrence is not null));
        await ProblemAsync(await Operator().PostAsync($"/v1/tenants/{TenantA}/schedules/no-such/pause", null), HttpStatusCode.NotFound);

        var badCron = await ProblemAsync(await Operator().PutAsJsonAsync($"/v1/tenants/{TenantA}/schedules/broken", new { jobType = Noop, cron = "every tuesday", payload = new { } }), HttpStatusCode.BadRequest);
        Assert.Equal("cron", badCron.GetProperty("field").GetString());

        Assert.Equal(HttpStatusCode.NoContent, (await Operator().DeleteAsync($"/v1/tenants/{TenantA}/schedules/nightly")).StatusCode);
        await ProblemAsync(await Operator().DeleteAsync($"/v1/tenants/{TenantA}/schedules/nightly"), HttpStatusCode.NotFound);
        await ProblemAsync(await Operator().GetAsync($"/v1/tenants/{TenantA}/schedules/nightly"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task An_admin_makes_lists_and_revokes_keys_and_a_revoked_key_stops_working()
    {
        var created = await OkAsync<CreatedKeyResponse>(await Admin.PostAsJsonAsync("/v1/keys", new { tenant = "initech", role = "producer", name = "billing" }), HttpStatusCode.Created);
        using var key = fixture.Client(created.Key);
        await OkAsync<EnqueueResponse>(await key.PostAsJsonAsync("/v1/tenants/initech/jobs", new { jobType = Noop, payload = new { } }), HttpStatusCode.Accepted);

        var listed = await OkAsync<List<ApiKeyResponse>>(await Admin.GetAsync("/v1/keys?tenant=initech"));
        Assert.Equal([(created.Id, "billing", ApiKeyRole.Producer)], listed.Select(k => (k.Id, k.Name, k.Role)));
        Assert.DoesNotContain(created.Key, await (await Admin.GetAsync("/v1/keys")).Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.NoContent, (await Admin.DeleteAsync($"/v1/keys/{created.Id}")).StatusCode);
        await ProblemAsync(await key.GetAsync($"/v1/tenants/initech/jobs/{SomeId}"), HttpStatusCode.Unauthorized);
        await ProblemAsync(await Admin.DeleteAsync($"/v1/keys/{created.Id}"), HttpStatusCode.NotFound);

        var noTenant = await ProblemAsync(await Admin.PostAsJsonAsync("/v1/keys", new { role = "operator", name = "x" }), HttpStatusCode.BadRequest);
        Assert.Equal("tenant", noTenant.GetProperty("field").GetString());
        var adminWithTenant = await ProblemAsync(await Admin.PostAsJsonAsync("/v1/keys", new { tenant = "initech", role = "admin", name = "x" }), HttpStatusCode.BadRequest);
        Assert.Equal("tenant", adminWithTenant.GetProperty("field").GetString());
    }

    [Fact]
    public async Task The_openapi_document_describes_every_operation_with_its_answers_and_the_key_it_needs()
    {
        using var anonymous = fixture.Client(null);
        var document = await anonymous.GetFromJsonAsync<JsonElement>("/openapi/orleansjobs.json");
        var paths = document.GetProperty("paths");
        Assert.True(paths.TryGetProperty("/v1/tenants/{tenant}/dead-letters/{id}/replay", out _));
        Assert.All(paths.EnumerateObject(), path => Assert.StartsWith("/v1/", path.Name));

        var operations = paths.EnumerateObject().SelectMany(p => p.Value.EnumerateObject().Where(o => o.Name is "get" or "post" or "put" or "delete").Select(o => (Path: p.Name, Verb: o.Name, Operation: o.Value))).ToList();
        Assert.True(operations.Count >= 20, $"{operations.Count} operations");
        Assert.All(operations, o => Assert.StartsWith("OrleansJobs.", o.Operation.GetProperty("operationId").GetString()));
        Assert.Equal(operations.Count, operations.Select(o => o.Operation.GetProperty("operationId").GetString()).Distinct().Count());
        Assert.All(operations, o => Assert.True(o.Operation.GetProperty("responses").EnumerateObject().Any(r => r.Name.StartsWith('2')), $"{o.Verb} {o.Path} documents no success answer"));
        Assert.All(operations, o => Assert.True(o.Operation.GetProperty("responses").TryGetProperty("401", out _), $"{o.Verb} {o.Path} documents no 401"));

        var enqueue = paths.GetProperty("/v1/tenants/{tenant}/jobs").GetProperty("post");
        Assert.True(enqueue.GetProperty("responses").GetProperty("202").GetProperty("content").TryGetProperty("application/json", out _));
        // 200 is the idempotent replay: the earlier job, marked created false.
        Assert.True(enqueue.GetProperty("responses").GetProperty("200").GetProperty("content").TryGetProperty("application/json", out _));
        Assert.True(enqueue.GetProperty("requestBody").GetProperty("content").TryGetProperty("application/json", out _));

        var scheme = document.GetProperty("components").GetProperty("securitySchemes").GetProperty("apiKey");
        Assert.Equal(("http", "bearer"), (scheme.GetProperty("type").GetString(), scheme.GetProperty("scheme").GetString()));
        Assert.True(document.GetProperty("security")[0].TryGetProperty("apiKey", out _));

        var text = document.GetRawText();
        Assert.DoesNotContain("/jobs/login", text);
        Assert.DoesNotContain("/dashboard", text);
        Assert.DoesNotContain("/metrics", text);
    }

    [Fact]
    public async Task An_enqueue_answers_202_with_the_jobs_status_url_in_location()
    {
        var response = await Producer().PostAsJsonAsync($"/v1/tenants/{TenantA}/jobs", new { jobType = Noop, payload = new { } });
        var id = (await OkAsync<EnqueueResponse>(response, HttpStatusCode.Accepted)).Id;
        Assert.Equal($"/v1/tenants/{TenantA}/jobs/{id}", response.Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.OK, (await Producer().GetAsync(response.Headers.Location)).StatusCode);
    }

    /// <summary>Makes a job of the tenant fail once and land in the dead-letter queue; returns its id.</summary>
    private async Task<JobId> DeadLetterAsync(string tenant)
    {
        var id = (await OkAsync<EnqueueResponse>(await Producer(tenant).PostAsJsonAsync($"/v1/tenants/{tenant}/jobs", new { jobType = Flaky, payload = new { fail = true } }), HttpStatusCode.Accepted)).Id;
        await fixture.Probe.WaitForAsync(async () => (await fixture.Jobs.GetStatusAsync(tenant, id))?.State == JobState.Dead, "the job to be dead-lettered");
        return id;
    }
}
