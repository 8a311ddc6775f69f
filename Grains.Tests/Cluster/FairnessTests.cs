using System.Diagnostics;
using System.Text;
using Xunit.Abstractions;

namespace OrleansJobs.Tests.Cluster;

public abstract class FairnessTests(ClusterFixture fixture, ITestOutputHelper output)
{
    private JobProbe Probe => fixture.Probe;
    private IJobClient Jobs => fixture.Jobs;

    [Fact]
    public async Task A_tenant_with_100_jobs_finishes_long_before_a_flooding_tenant_moves_ten_percent()
    {
        var flooder = "fa" + Guid.NewGuid().ToString("N")[..10];
        var trickler = "fb" + Guid.NewGuid().ToString("N")[..10];
        // The flooder's own budget is far above the silo's 256 handler slots, so it alone could take them all.
        await Jobs.SetQueuePolicyAsync(flooder, ClusterFixture.Noop, new QueuePolicy { MaxConcurrency = 10_000 });
        var payload = Encoding.UTF8.GetBytes("{\"delayMs\":20}");
        var flood = new List<JobId>();
        foreach (var chunk in Enumerable.Range(0, 100_000).Chunk(5_000))
        {
            flood.AddRange(await Jobs.EnqueueManyAsync(chunk.Select(_ => new JobRequest(flooder, ClusterFixture.Noop, payload)).ToList()));
        }

        int FloodDone() => flood.Count(id => Probe.Successes(id) > 0);
        var doneBefore = FloodDone();
        var clock = Stopwatch.StartNew();
        var trickle = await Jobs.EnqueueManyAsync(Enumerable.Range(0, 100).Select(_ => new JobRequest(trickler, ClusterFixture.Noop, payload)).ToList());
        await Probe.WaitForAsync(() => trickle.All(id => Probe.Successes(id) == 1), "the trickling tenant's 100 jobs", TimeSpan.FromSeconds(60));
        var trickleTook = clock.Elapsed;
        var floodMoved = FloodDone() - doneBefore;

        output.WriteLine($"Flooder had {doneBefore} of 100 000 done when the trickler enqueued 100; the trickler's 100 were all done {trickleTook.TotalMilliseconds:F0} ms later, " +
            $"while the flooder finished {floodMoved} more ({floodMoved / 1_000.0:F1} % of its jobs). Silo: 256 handler slots, 20 ms jobs.");
        Assert.True(floodMoved < 10_000, $"the flooder moved {floodMoved} jobs (10 % is 10 000) before the trickler finished");

        await Probe.WaitForAsync(() => FloodDone() == flood.Count, "the flood to drain", TimeSpan.FromMinutes(3));
    }
}

[Collection(ClusterCollection.Name)]
public sealed class FairnessTestsOnSqlite(SqliteClusterFixture fixture, ITestOutputHelper output) : FairnessTests(fixture, output);

[Collection(PostgresClusterCollection.Name)]
public sealed class FairnessTestsOnPostgres(PostgresClusterFixture fixture, ITestOutputHelper output) : FairnessTests(fixture, output);
