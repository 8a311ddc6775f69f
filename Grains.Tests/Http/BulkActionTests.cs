using System.Net;
using Microsoft.Extensions.DependencyInjection;
using OrleansJobs.Storage;
using OrleansJobs.Tests.Cluster;
using static OrleansJobs.Tests.Http.HttpApiFixture;

namespace OrleansJobs.Tests.Http;

/// <summary>Bulk replays of dead letters beyond one chunk, followed on their progress page, against a running silo.</summary>
[Collection(HttpApiCollection.Name)]
public sealed class BulkActionTests(HttpApiFixture fixture)
{
    private readonly string _tenant = "b" + Guid.NewGuid().ToString("N")[..12];

    [Fact]
    public async Task A_bulk_replay_takes_every_dead_letter_that_matched_in_chunks_and_none_that_died_again_after_it_started()
    {
        const int Jobs = 2_500;
        var requests = Enumerable.Range(0, Jobs).Select(_ => new JobRequest(_tenant, ClusterFixture.Flaky, System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new ProbePayload(Fail: true), HttpJson.Options))).ToList();
        foreach (var chunk in requests.Chunk(500))
        {
            await fixture.Jobs.EnqueueManyAsync(chunk);
        }

        var store = fixture.Services.GetRequiredService<IAdminStore>();
        var all = new DeadLetterFilter { JobType = ClusterFixture.Flaky };
        await fixture.Probe.WaitForAsync(async () => await store.CountDeadAsync(_tenant, all, Jobs + 1, default) == Jobs, "every job to be dead-lettered", TimeSpan.FromSeconds(60));

        using var admin = fixture.Client(AdminKey, followRedirects: false);
        var preview = WebUtility.HtmlDecode(await admin.GetStringAsync($"/jobs/dead/replay?tenant={_tenant}&jobType={ClusterFixture.Flaky}"));
        Assert.Contains($"{Jobs} dead letters match", preview, StringComparison.Ordinal);
        var token = PageForms.Token(preview);
        var started = await admin.PostAsync("/jobs/dead/replay", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["tenant"] = _tenant, ["jobType"] = ClusterFixture.Flaky, [token.Name] = token.Value,
        }));
        var progress = started.Headers.Location!.OriginalString;
        Assert.StartsWith("/jobs/bulk/", progress);

        // The replayed jobs fail again at once and are dead again, with a later time: the action must not take them twice.
        string page = "";
        await fixture.Probe.WaitForAsync(async () =>
        {
            page = WebUtility.HtmlDecode(await admin.GetStringAsync(progress));
            var running = page.Contains("Running:", StringComparison.Ordinal);

            // Every page drawn is of one moment: it reloads itself exactly while it says the action runs.
            Assert.Equal(running, page.Contains("http-equiv=\"refresh\"", StringComparison.Ordinal));
            return !running;
        }, "the bulk replay to end", TimeSpan.FromSeconds(60));
        Assert.Contains($"Done: {Jobs} dead letters were put back in their queues.", page, StringComparison.Ordinal);
        Assert.Contains($"<progress id=\"bulk-progress\" max=\"{Jobs}\" value=\"{Jobs}\"", page, StringComparison.Ordinal);
        await fixture.Probe.WaitForAsync(async () => await store.CountDeadAsync(_tenant, all, Jobs + 1, default) == Jobs, "the replayed jobs to be dead again", TimeSpan.FromSeconds(60));

        // Another tenant's operator cannot see the action's page, nor stop it.
        using var other = fixture.Client(TenantB, OrleansJobs.Security.ApiKeyRole.Operator, followRedirects: false);
        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync(progress)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await other.GetAsync(progress.Replace($"tenant={_tenant}", $"tenant={TenantB}", StringComparison.Ordinal))).StatusCode);
        var otherToken = PageForms.Token(await other.GetStringAsync("/jobs"));
        var stop = await other.PostAsync($"{progress.Split('?')[0]}/stop", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["tenant"] = _tenant, [otherToken.Name] = otherToken.Value,
        }));
        Assert.Equal(HttpStatusCode.Forbidden, stop.StatusCode);
    }
}
