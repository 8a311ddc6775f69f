using Microsoft.Extensions.DependencyInjection;
using System.Net;
using System.Net.Http.Headers;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OrleansJobs.Tests.Cluster;
using static OrleansJobs.Tests.Http.HttpApiFixture;

namespace OrleansJobs.Tests.Http;

/// <summary>The operators' page and the Orleans dashboard: who may see them, and the page driven in headless Chromium.</summary>
[Collection(HttpApiCollection.Name)]
public sealed class JobsPageTests(HttpApiFixture fixture)
{
    private const string Chromium = "/usr/bin/chromium";
    private const string ChromeDriver = "/usr/bin/chromedriver";
    private readonly string _tenant = "p" + Guid.NewGuid().ToString("N")[..12];

    [Fact]
    public async Task Pages_send_browsers_to_sign_in_and_only_admins_reach_the_dashboard()
    {
        using var anonymous = fixture.Client(null, followRedirects: false);
        anonymous.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("text/html"));
        foreach (var path in new[] { "/jobs", "/dashboard" })
        {
            var response = await anonymous.GetAsync(path);
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.StartsWith("/jobs/login?returnUrl=", response.Headers.Location!.OriginalString);
        }

        using var operatorClient = fixture.Client(TenantA, OrleansJobs.Security.ApiKeyRole.Operator);
        Assert.Equal(HttpStatusCode.Forbidden, (await operatorClient.GetAsync("/dashboard")).StatusCode);
        Assert.Contains($"Queues · {TenantA}", WebUtility.HtmlDecode(await operatorClient.GetStringAsync("/jobs?tenant=someone-else")));

        using var producer = fixture.Client(TenantA, OrleansJobs.Security.ApiKeyRole.Producer);
        Assert.Equal(HttpStatusCode.Forbidden, (await producer.GetAsync("/jobs")).StatusCode);

        using var admin = fixture.Client(AdminKey);
        var dashboard = await admin.GetAsync("/dashboard/");
        Assert.Equal(HttpStatusCode.OK, dashboard.StatusCode);
        Assert.Equal("text/html", dashboard.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task In_headless_chromium_an_admin_signs_in_pauses_a_queue_the_tenant_and_a_schedule_opens_a_job_found_by_id_and_replays_dead_letters_one_and_in_bulk_on_accessible_pages()
    {
        Assert.True(File.Exists(Chromium) && File.Exists(ChromeDriver), $"{Chromium} and {ChromeDriver} are needed (Debian packages chromium, chromium-driver); ./test.sh installs them.");
        var dead = await fixture.Jobs.EnqueueAsync(_tenant, ClusterFixture.Flaky, new ProbePayload(Fail: true));
        var another = await fixture.Jobs.EnqueueAsync(_tenant, ClusterFixture.Flaky, new ProbePayload(Fail: true));
        await fixture.Probe.WaitForAsync(async () => (await fixture.Jobs.GetStatusAsync(_tenant, dead))?.State == JobState.Dead
            && (await fixture.Jobs.GetStatusAsync(_tenant, another))?.State == JobState.Dead, "both jobs to be dead-lettered");
        await fixture.Jobs.EnqueueAfterAsync(_tenant, ClusterFixture.Noop, new ProbePayload(), TimeSpan.FromHours(1));
        await fixture.Jobs.UpsertScheduleAsync(new RecurringJob { Tenant = _tenant, Id = "nightly", JobType = ClusterFixture.Noop, Cron = "0 3 * * *" });

        var profile = Directory.CreateTempSubdirectory("orleansjobs-chromium-").FullName;
        var options = new ChromeOptions { BinaryLocation = Chromium };
        options.AddArguments(
            "--headless=new", "--window-size=1400,1000", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", $"--user-data-dir={profile}");
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(ChromeDriver)!, Path.GetFileName(ChromeDriver));
        service.SuppressInitialDiagnosticInformation = true;
        service.HideCommandPromptWindow = true;
        using var browser = new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
        try
        {
            browser.Navigate().GoToUrl(new Uri(fixture.BaseAddress, $"/jobs?tenant={_tenant}"));
            await UntilAsync(() => browser.Url.Contains("/jobs/login", StringComparison.Ordinal), "the sign-in form");
            PageChecks.Check(browser, "sign-in");
            browser.FindElement(By.Id("key")).SendKeys(AdminKey);
            browser.FindElement(By.Id("sign-in")).Click();

            await UntilAsync(() => browser.FindElements(By.CssSelector($"tr[data-queue='{_tenant}/{ClusterFixture.Noop}']")).Count == 1, "the queue table with the test's queue");
            PageChecks.Check(browser, "queues");
            var row = browser.FindElement(By.CssSelector($"tr[data-queue='{_tenant}/{ClusterFixture.Noop}']")).FindElements(By.TagName("td")).Select(td => td.Text).ToList();
            Assert.Equal(("running", "1"), (row[0], row[3]));
            var flaky = browser.FindElement(By.CssSelector($"tr[data-queue='{_tenant}/{ClusterFixture.Flaky}']")).FindElements(By.TagName("td")).Select(td => td.Text).ToList();
            Assert.Equal("2", flaky[7]);

            // Pause the queue, then the whole tenant, and undo both, with the page's buttons.
            var queue = $"{_tenant}/{ClusterFixture.Noop}";
            browser.FindElement(By.Id($"pause-{queue}")).Click();
            await UntilAsync(() => browser.FindElements(By.Id($"resume-{queue}")).Count == 1, "the queue's Resume button");
            Assert.True((await fixture.Jobs.GetQueueStatsAsync(_tenant, ClusterFixture.Noop)).Paused);
            Assert.Equal("paused", browser.FindElement(By.CssSelector($"tr[data-queue='{queue}']")).FindElements(By.TagName("td"))[0].Text);
            browser.FindElement(By.Id($"resume-{queue}")).Click();
            await UntilAsync(() => browser.FindElements(By.Id($"pause-{queue}")).Count == 1, "the queue's Pause button again");

            // Each click posts a form and loads a new page: wait for an element only the new page has, never
            // for text on one that may be the page being replaced.
            browser.FindElement(By.Id($"pause-tenant-{_tenant}")).Click();
            await UntilAsync(() => browser.FindElements(By.Id($"resume-tenant-{_tenant}")).Count == 1, "the tenant's Resume button");
            Assert.Contains("paused since", browser.FindElement(By.Id("tenant-state")).Text, StringComparison.Ordinal);
            Assert.True((await fixture.Jobs.GetTenantStatusAsync(_tenant)).Paused);
            browser.FindElement(By.Id($"resume-tenant-{_tenant}")).Click();
            await UntilAsync(() => browser.FindElements(By.Id($"pause-tenant-{_tenant}")).Count == 1, "the tenant's Pause button again");
            Assert.False((await fixture.Jobs.GetTenantStatusAsync(_tenant)).Paused);

            // One queue's own page: its scheduled job, under its tab.
            browser.FindElement(By.LinkText(queue)).Click();
            await UntilAsync(() => browser.FindElements(By.Id("state-scheduled")).Count == 1, "the queue's page");
            browser.FindElement(By.Id("state-scheduled")).Click();
            await UntilAsync(() => browser.FindElements(By.CssSelector("#jobs tbody tr")).Count == 1, "the queue's scheduled job");
            PageChecks.Check(browser, "queue");

            // The overview: the dead letters above in its queues that failed, once a silo wrote its history (every second here).
            browser.FindElement(By.LinkText("Overview")).Click();
            await UntilAsync(() =>
            {
                if (browser.FindElements(By.CssSelector($"#failing tr[data-queue='{_tenant}/{ClusterFixture.Flaky}']")).Count == 1)
                {
                    return true;
                }

                browser.Navigate().Refresh();
                return false;
            }, "the overview with the dead-lettered queue");
            Assert.Equal(5, browser.FindElements(By.CssSelector("#rates polyline, #backlog polyline")).Count);
            Assert.Contains("2", browser.FindElement(By.CssSelector($"#failing tr[data-queue='{_tenant}/{ClusterFixture.Flaky}'] td")).Text, StringComparison.Ordinal);
            PageChecks.Check(browser, "overview");

            // The jobs search: the tenant's dead letters across its job types, by the text of their last error.
            browser.FindElement(By.LinkText("Jobs")).Click();
            await UntilAsync(() => browser.FindElements(By.Id("search-state")).Count == 1, "the jobs search");
            browser.FindElement(By.CssSelector("#search-state option[value='dead']")).Click();
            browser.FindElement(By.Id("search-error")).SendKeys("failed on attempt");
            browser.FindElement(By.Id("search")).Click();
            await UntilAsync(() => browser.FindElements(By.CssSelector("#jobs tbody tr")).Count == 2, "the two dead letters found");
            PageChecks.Check(browser, "jobs-search");

            // The silos: this one, active, with its slots.
            browser.FindElement(By.LinkText("Silos")).Click();
            await UntilAsync(() => browser.FindElements(By.Id("silos")).Count == 1, "the silos page");
            Assert.Contains("(this one)", browser.FindElement(By.Id("silos")).Text, StringComparison.Ordinal);
            PageChecks.Check(browser, "silos");

            // And a recurring job, from the tenant's list of them.
            browser.FindElement(By.LinkText("Recurring jobs")).Click();
            await UntilAsync(() => browser.FindElements(By.Id("schedules")).Count == 1, "the recurring jobs page");
            PageChecks.Check(browser, "recurring-jobs");
            Assert.Contains("0 3 * * *", browser.FindElement(By.CssSelector("tr[data-schedule='nightly']")).Text, StringComparison.Ordinal);
            browser.FindElement(By.Id("pause-schedule-nightly")).Click();
            await UntilAsync(() => browser.FindElements(By.Id("resume-schedule-nightly")).Count == 1, "the schedule's Resume button");
            Assert.NotNull((await fixture.Jobs.GetScheduleAsync(_tenant, "nightly"))!.PausedAt);
            browser.FindElement(By.Id("resume-schedule-nightly")).Click();
            await UntilAsync(() => browser.FindElements(By.Id("pause-schedule-nightly")).Count == 1, "the schedule's Pause button again");
            Assert.Null((await fixture.Jobs.GetScheduleAsync(_tenant, "nightly"))!.PausedAt);

            // Run it now: its job's page says so.
            browser.FindElement(By.Id("run-nightly")).Click();
            await UntilAsync(() => browser.FindElements(By.Id("job-state")).Count == 1, "the page of the job the schedule made");
            Assert.Contains("was run now", browser.FindElement(By.Id("message")).Text, StringComparison.Ordinal);

            // Tenants and keys: make an operator key, read its secret once, revoke it.
            browser.FindElement(By.LinkText("Tenants and keys")).Click();
            await UntilAsync(() => browser.FindElements(By.Id("make-key")).Count == 1, "the tenants and keys page");
            PageChecks.Check(browser, "tenants-and-keys");
            browser.FindElement(By.CssSelector("#key-role option[value='operator']")).Click();
            browser.FindElement(By.Id("key-tenant")).SendKeys(_tenant);
            browser.FindElement(By.Id("key-name")).SendKeys("browser test");
            browser.FindElement(By.Id("create-key")).Click();
            await UntilAsync(() => browser.FindElements(By.Id("key-secret")).Count == 1, "the new key's secret");
            PageChecks.Check(browser, "key-made");
            var secret = browser.FindElement(By.Id("key-secret")).Text.Trim();
            using (var withNewKey = fixture.Client(secret))
            {
                Assert.Equal(System.Net.HttpStatusCode.OK, (await withNewKey.GetAsync($"/v1/tenants/{_tenant}/queues")).StatusCode);
            }

            browser.FindElement(By.LinkText("Back to tenants and keys")).Click();
            await UntilAsync(() => browser.FindElements(By.Id("keys")).Count == 1, "the keys table");
            var made = browser.FindElements(By.CssSelector("tr[data-key]")).First(r => r.Text.Contains("browser test", StringComparison.Ordinal)).GetAttribute("data-key")!;
            browser.FindElement(By.CssSelector($"tr[data-key='{made}'] input[name='confirm']")).Click();
            browser.FindElement(By.Id($"revoke-{made}")).Click();
            await UntilAsync(() => browser.FindElements(By.Id("message")).FirstOrDefault()?.Text.Contains("was revoked", StringComparison.Ordinal) == true, "the revoke's outcome");

            // A job found by its id: its payload and the attempt that failed, with the stack trace.
            browser.FindElement(By.Id("find-id")).SendKeys(dead.ToString());
            browser.FindElement(By.Id("find")).Click();
            await UntilAsync(() => browser.FindElements(By.Id("payload")).Count == 1, "the job's page");
            PageChecks.Check(browser, "job");
            Assert.Equal("dead", browser.FindElement(By.Id("job-state")).Text);
            Assert.Contains("\"fail\": true", browser.FindElement(By.Id("payload")).Text, StringComparison.OrdinalIgnoreCase);
            Assert.NotEmpty(browser.FindElements(By.CssSelector("#attempts tbody tr")));

            // One dead letter replayed with its button, then the rest that match a filter, after a count.
            fixture.Probe.Heal(dead);
            fixture.Probe.Heal(another);
            browser.FindElement(By.LinkText("Dead letters")).Click();
            await UntilAsync(() => browser.FindElements(By.Id($"replay-{dead}")).Count == 1, "the dead letters page");
            PageChecks.Check(browser, "dead-letters");
            browser.FindElement(By.Id($"replay-{dead}")).Click();
            await UntilAsync(() => browser.FindElements(By.Id("message")).FirstOrDefault()?.Text.Contains(dead.ToString(), StringComparison.Ordinal) == true, "the replay confirmation");
            await fixture.Probe.WaitForAsync(() => fixture.Probe.Successes(dead) == 1, "the replayed job to run and succeed");
            Assert.Equal(1, (await fixture.Jobs.GetStatusAsync(_tenant, dead))!.ReplayCount);

            browser.FindElement(By.Id("filter-type")).SendKeys(ClusterFixture.Flaky);
            browser.FindElement(By.Id("apply-filter")).Click();
            await UntilAsync(() => browser.FindElements(By.Id("replay-matching")).Count == 1 && browser.Url.Contains("jobType=", StringComparison.Ordinal), "the filtered dead letters");
            browser.FindElement(By.Id("replay-matching")).Click();
            await UntilAsync(() => browser.FindElements(By.Id("confirm-replay")).Count == 1, "the count before the bulk replay");
            PageChecks.Check(browser, "replay-matching");
            Assert.StartsWith("1 dead letter match", browser.FindElement(By.Id("bulk-count")).Text, StringComparison.Ordinal);
            browser.FindElement(By.Id("confirm-replay")).Click();
            // The progress page reloads itself while the action runs: read its state in one script call, within one document.
            await UntilAsync(
                () => ((IJavaScriptExecutor)browser).ExecuteScript("return document.getElementById('bulk-state')?.textContent ?? '';") is string state
                    && state.Trim().StartsWith("Done: 1 dead letter was put back", StringComparison.Ordinal),
                "the bulk replay's progress page to say it is done");
            PageChecks.Check(browser, "bulk-progress");
            await fixture.Probe.WaitForAsync(() => fixture.Probe.Successes(another) == 1, "the job replayed in bulk to run and succeed");

            // The dark theme, as a browser set to dark shows it: the same checks, contrast included.
            browser.ExecuteCdpCommand("Emulation.setEmulatedMedia", new Dictionary<string, object?>
            {
                ["features"] = new[] { new Dictionary<string, object> { ["name"] = "prefers-color-scheme", ["value"] = "dark" } },
            });
            Assert.True((bool)((IJavaScriptExecutor)browser).ExecuteScript("return matchMedia('(prefers-color-scheme: dark)').matches;")!);
            foreach (var (path, name) in new[] { ($"/jobs/overview?tenant={_tenant}", "overview"), ($"/jobs?tenant={_tenant}", "queues"), ($"/jobs/job/{another}", "job"), ($"/jobs/search?tenant={_tenant}&state=succeeded", "jobs-search") })
            {
                browser.Navigate().GoToUrl(new Uri(fixture.BaseAddress, path));
                await UntilAsync(() => browser.FindElements(By.Id("main")).Count == 1, $"the {name} page");
                PageChecks.Check(browser, $"{name}-dark");
            }
        }
        finally
        {
            browser.Quit();
            Directory.Delete(profile, recursive: true);
        }
    }

    [Fact]
    public async Task The_search_box_takes_a_job_id_or_an_idempotency_key_and_a_queue_lists_its_jobs_by_state()
    {
        var waiting = await fixture.Jobs.EnqueueAfterAsync(_tenant, ClusterFixture.Noop, new ProbePayload(), TimeSpan.FromHours(1), new EnqueueOptions { IdempotencyKey = "invoice-7" });
        using var admin = fixture.Client(AdminKey, followRedirects: false);

        foreach (var text in new[] { waiting.ToString(), "invoice-7" })
        {
            var found = await admin.GetAsync($"/jobs/find?tenant={_tenant}&id={Uri.EscapeDataString(text)}");
            Assert.Equal(HttpStatusCode.Redirect, found.StatusCode);
            Assert.Equal($"/jobs/job/{waiting}?tenant={_tenant}", found.Headers.Location!.OriginalString);
        }

        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync($"/jobs/find?tenant={_tenant}&id=invoice-8")).StatusCode);

        // By id alone, an admin finds the job whatever tenant is shown.
        var page = WebUtility.HtmlDecode(await (await admin.GetAsync($"/jobs/job/{waiting}")).Content.ReadAsStringAsync());
        Assert.Contains("invoice-7", page);

        var scheduled = WebUtility.HtmlDecode(await admin.GetStringAsync($"/jobs/queue/{ClusterFixture.Noop}?tenant={_tenant}&state=scheduled"));
        Assert.Contains($"data-job-id=\"{waiting}\"", scheduled);
        Assert.Contains("\"maxConcurrency\"", scheduled);
        var enqueued = WebUtility.HtmlDecode(await admin.GetStringAsync($"/jobs/queue/{ClusterFixture.Noop}?tenant={_tenant}"));
        Assert.DoesNotContain($"data-job-id=\"{waiting}\"", enqueued);
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.GetAsync($"/jobs/queue/{ClusterFixture.Noop}?tenant={_tenant}&state=sleeping")).StatusCode);
    }

    [Fact]
    public async Task A_queue_whose_job_type_no_silo_handles_any_more_still_shows_with_the_stores_counts_on_the_pages_and_in_the_apis_lists()
    {
        var store = fixture.Services.GetRequiredService<OrleansJobs.Storage.IJobStore>();
        var batch = new OrleansJobs.Storage.JobWriteBatch();
        var now = DateTimeOffset.UtcNow;
        batch.Inserts.Add(new OrleansJobs.Storage.NewJob(new JobIdGenerator(TimeProvider.System).Next(), new QueueKey(_tenant, "test.gone"), "{}"u8.ToArray(),
            JobPriority.Normal, now, now, 3, TimeSpan.FromSeconds(30), null, null));
        await store.WriteAsync(batch, default);

        using var admin = fixture.Client(AdminKey);
        var queues = WebUtility.HtmlDecode(await admin.GetStringAsync($"/jobs?tenant={_tenant}"));
        Assert.Matches($"data-queue=\"{_tenant}/test.gone\">.*?<td>no handler</td>\\s*<td class=\"n\">0</td>\\s*<td class=\"n\">1</td>", queues.ReplaceLineEndings(" "));
        var queue = WebUtility.HtmlDecode(await admin.GetStringAsync($"/jobs/queue/test.gone?tenant={_tenant}"));
        Assert.Contains("No silo of this cluster handles this job type", queue);

        // The API's lists too: one such queue does not fail them.
        var listed = await admin.GetAsync($"/v1/tenants/{_tenant}/queues");
        Assert.Equal(HttpStatusCode.OK, listed.StatusCode);
        Assert.Contains("\"test.gone\"", await listed.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/v1/queues")).StatusCode);
    }

    [Fact]
    public async Task A_recurring_job_shows_its_next_runs_and_is_deleted_only_when_the_box_is_ticked()
    {
        await fixture.Jobs.UpsertScheduleAsync(new RecurringJob { Tenant = _tenant, Id = "hourly", JobType = ClusterFixture.Noop, Cron = "0 * * * *" });
        using var admin = fixture.Client(AdminKey, followRedirects: false);

        var page = WebUtility.HtmlDecode(await admin.GetStringAsync($"/jobs/schedules?tenant={_tenant}"));
        Assert.Equal(3, System.Text.RegularExpressions.Regex.Matches(page, @"<div>\d{4}-\d\d-\d\d \d\d:00:00Z</div>").Count);
        var token = PageForms.Token(page);

        Dictionary<string, string> Form(bool confirm) => new()
        {
            ["tenant"] = _tenant, ["schedule"] = "hourly", [token.Name] = token.Value, ["confirm"] = confirm ? "yes" : "",
        };
        var unticked = await admin.PostAsync("/jobs/schedules/delete", new FormUrlEncodedContent(Form(confirm: false)));
        Assert.Contains("failed=confirm", unticked.Headers.Location!.OriginalString);
        Assert.NotNull(await fixture.Jobs.GetScheduleAsync(_tenant, "hourly"));

        var ticked = await admin.PostAsync("/jobs/schedules/delete", new FormUrlEncodedContent(Form(confirm: true)));
        Assert.Contains("note=", ticked.Headers.Location!.OriginalString);
        Assert.Null(await fixture.Jobs.GetScheduleAsync(_tenant, "hourly"));
    }

    [Fact]
    public async Task Dead_letters_are_deleted_in_bulk_after_a_count_and_a_ticked_box_and_a_finished_job_from_its_page()
    {
        var dead = await fixture.Jobs.EnqueueAsync(_tenant, ClusterFixture.Flaky, new ProbePayload(Fail: true));
        var done = await fixture.Jobs.EnqueueAsync(_tenant, ClusterFixture.Noop, new ProbePayload());
        await fixture.Probe.WaitForAsync(async () => (await fixture.Jobs.GetStatusAsync(_tenant, dead))?.State == JobState.Dead
            && (await fixture.Jobs.GetStatusAsync(_tenant, done))?.State == JobState.Succeeded, "one job dead and one succeeded");
        using var admin = fixture.Client(AdminKey, followRedirects: false);

        var preview = WebUtility.HtmlDecode(await admin.GetStringAsync($"/jobs/dead/delete?tenant={_tenant}&jobType={ClusterFixture.Flaky}"));
        Assert.Contains("1 dead letter match", preview);
        var token = PageForms.Token(preview);
        Dictionary<string, string> Form(params (string Name, string Value)[] fields) =>
            fields.Append(("tenant", _tenant)).Append(token).ToDictionary(f => f.Item1, f => f.Item2);

        var unticked = await admin.PostAsync("/jobs/dead/delete", new FormUrlEncodedContent(Form(("jobType", ClusterFixture.Flaky))));
        Assert.Contains("failed=confirm", unticked.Headers.Location!.OriginalString);
        Assert.NotNull(await fixture.Jobs.GetStatusAsync(_tenant, dead));

        var ticked = await admin.PostAsync("/jobs/dead/delete", new FormUrlEncodedContent(Form(("jobType", ClusterFixture.Flaky), ("confirm", "yes"))));
        var progress = ticked.Headers.Location!.OriginalString;
        Assert.StartsWith("/jobs/bulk/", progress);
        await fixture.Probe.WaitForAsync(
            async () => WebUtility.HtmlDecode(await admin.GetStringAsync(progress)).Contains("Done: 1 dead letter was deleted.", StringComparison.Ordinal),
            "the bulk delete's page to say it is done");
        Assert.Null(await fixture.Jobs.GetStatusAsync(_tenant, dead));

        var job = await admin.PostAsync("/jobs/delete", new FormUrlEncodedContent(Form(("id", done.ToString()), ("confirm", "yes"))));
        Assert.StartsWith($"/jobs/queue/{ClusterFixture.Noop}?tenant={_tenant}&note=", job.Headers.Location!.OriginalString);
        Assert.Null(await fixture.Jobs.GetStatusAsync(_tenant, done));
    }

    /// <summary>
    /// Polls the page until <paramref name="condition"/> holds; the browser gives no event to await. An
    /// element of the page a click or a reload is replacing goes stale under the condition's feet (Chrome says
    /// so either as a stale element or as a node that no longer belongs to the document): that reads as "not yet".
    /// </summary>
    private static async Task UntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!Holds(condition))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out waiting in the browser for {what}.");
            }

            await Task.Delay(50);
        }
    }

    private static bool Holds(Func<bool> condition)
    {
        try
        {
            return condition();
        }
        catch (StaleElementReferenceException)
        {
            return false;
        }
        catch (WebDriverException replaced) when (replaced.Message.Contains("does not belong to the document", StringComparison.Ordinal)
            || replaced.Message.Contains("detached", StringComparison.Ordinal))
        {
            return false;
        }
    }
}
