using System.Text;
using Xunit.Abstractions;

namespace OrleansJobs.Tests.Cluster;

public abstract class TenantCapClusterTests(ClusterFixture fixture, ITestOutputHelper output)
{
    private static readonly string[] Types = [ClusterFixture.Noop, ClusterFixture.Slow, ClusterFixture.Flaky];
    private readonly string _tenant = "t" + Guid.NewGuid().ToString("N")[..12];
    private JobProbe Probe => fixture.Probe;
    private IJobClient Jobs => fixture.Jobs;

    private static JobRequest[] Requests(string tenant, string type, int count, int delayMs) =>
        Enumerable.Range(0, count).Select(_ => new JobRequest(tenant, type, Encoding.UTF8.GetBytes($"{{\"delayMs\":{delayMs}}}"))).ToArray();

    [Fact]
    public async Task A_tenant_cap_bounds_in_flight_across_its_queues_which_share_it_and_other_tenants_are_untouched()
    {
        const int cap = 5;
        var other = _tenant + "-free";
        Assert.Equal(new TenantPolicy { MaxInFlight = cap }, await Jobs.SetTenantPolicyAsync(_tenant, new TenantPolicy { MaxInFlight = cap }));

        var ids = new List<JobId>();
        foreach (var type in Types)
        {
            ids.AddRange(await Jobs.EnqueueManyAsync(Requests(_tenant, type, 30, delayMs: 30)));
        }

        var free = await Jobs.EnqueueManyAsync(Requests(other, ClusterFixture.Noop, 40, delayMs: 30));
        await Probe.WaitForAsync(() => ids.Concat(free).All(id => Probe.Successes(id) == 1), "every job to finish once", TimeSpan.FromSeconds(60));

        var starts = ids.Select(id => Probe.Starts(id)[0].At).Order().ToList();
        output.WriteLine($"Cap {cap}: the tenant's peak in flight was {Probe.MaxInFlight(_tenant)} over {Types.Length} queues "
            + $"({string.Join(", ", Types.Select(t => $"{t} {Probe.MaxInFlight($"{_tenant}/{t}")}"))}); the uncapped tenant peaked at {Probe.MaxInFlight(other)}; "
            + $"the capped run took {(starts[^1] - starts[0]).TotalSeconds:F2} s.");
        Assert.Equal(cap, Probe.MaxInFlight(_tenant));
        Assert.True(Probe.MaxInFlight(other) > cap, "the other tenant is not held to this tenant's cap");

        // Shared, not taken in turn: every queue started before the busiest one had started half of its jobs.
        var startsByType = Types.ToDictionary(t => t, t => ids.Skip(Array.IndexOf(Types, t) * 30).Take(30).Select(id => Probe.Starts(id)[0].At).Order().ToList());
        var halfStarted = startsByType.Values.Min(s => s[15]);
        output.WriteLine(string.Join("; ", Types.Select(t => $"{t} first start +{(startsByType[t][0] - starts[0]).TotalMilliseconds:F0} ms, 16th +{(startsByType[t][15] - starts[0]).TotalMilliseconds:F0} ms")));
        Assert.All(Types, t => Assert.True(startsByType[t][0] < halfStarted, $"{t} waited for another queue to drain"));
    }

    [Fact]
    public async Task A_cap_changed_at_run_time_applies_to_running_queues_and_can_be_lifted()
    {
        await Jobs.SetTenantPolicyAsync(_tenant, new TenantPolicy { MaxInFlight = 2 });
        var capped = await Jobs.EnqueueManyAsync(Requests(_tenant, ClusterFixture.Noop, 20, delayMs: 30));
        await Probe.WaitForAsync(() => capped.All(id => Probe.Successes(id) == 1), "the capped jobs to finish");
        Assert.Equal(2, Probe.MaxInFlight(_tenant));
        Assert.Equal(new TenantPolicy { MaxInFlight = 2 }, (await fixture.Store.GetTenantSettingsAsync(_tenant, default)).Override);

        Assert.Equal(new TenantPolicy(), await Jobs.SetTenantPolicyAsync(_tenant, new TenantPolicy()));
        var lifted = await Jobs.EnqueueManyAsync(Requests(_tenant, ClusterFixture.Noop, 40, delayMs: 30));
        await Probe.WaitForAsync(() => lifted.All(id => Probe.Successes(id) == 1), "the uncapped jobs to finish");
        Assert.True(Probe.MaxInFlight(_tenant) > 2, $"lifting the cap let the queue run more than 2 at once (peak {Probe.MaxInFlight(_tenant)})");
    }

    [Fact]
    public async Task A_bad_tenant_policy_is_refused_naming_the_field()
    {
        var bad = await Assert.ThrowsAsync<JobValidationException>(() => Jobs.SetTenantPolicyAsync(_tenant, new TenantPolicy { MaxInFlight = 0 }));
        Assert.Equal("policy.maxInFlight", bad.Field);
        await Assert.ThrowsAsync<JobValidationException>(() => Jobs.SetTenantPolicyAsync("bad tenant!", new TenantPolicy { MaxInFlight = 3 }));
        Assert.Null((await fixture.Store.GetTenantSettingsAsync(_tenant, default)).Override);
    }
}

[Collection(ClusterCollection.Name)]
public sealed class TenantCapClusterTestsOnSqlite(SqliteClusterFixture fixture, ITestOutputHelper output) : TenantCapClusterTests(fixture, output);

[Collection(PostgresClusterCollection.Name)]
public sealed class TenantCapClusterTestsOnPostgres(PostgresClusterFixture fixture, ITestOutputHelper output) : TenantCapClusterTests(fixture, output);
