using Microsoft.Extensions.DependencyInjection;
using OrleansJobs.Execution;
using OrleansJobs.Storage;

namespace OrleansJobs.Tests.Cluster;

/// <summary>What the overview and silos pages read, from a two-silo cluster on PostgreSQL: each silo's own figures, and the history both silos write.</summary>
[Collection(TwoSiloScheduleCollection.Name)]
public sealed class ClusterOverviewTests(TwoSiloScheduleFixture fixture)
{
    private readonly string _tenant = "h" + Guid.NewGuid().ToString("N")[..12];

    [Fact]
    public async Task Each_silo_lists_both_live_members_first_with_their_own_reports()
    {
        foreach (var silo in fixture.Cluster.Silos)
        {
            var directory = fixture.Cluster.GetSiloServiceProvider(silo.SiloAddress).GetRequiredService<SiloDirectory>();

            var entries = await directory.ListAsync(TimeSpan.FromSeconds(5), DateTimeOffset.UtcNow, default);

            // Live members answer with their own figures; a silo another test of the collection killed is listed without them.
            var active = entries.Where(e => e.Status == Orleans.Runtime.SiloStatus.Active).ToList();
            Assert.Equal(fixture.Cluster.Silos.Select(s => s.SiloAddress.ToString()).Order(), active.Select(e => e.Address).Order());
            Assert.All(active, e => Assert.Equal(256, e.Report?.Slots));
            Assert.All(entries.Except(active), e => Assert.Null(e.Report));
            Assert.Equal(active, entries.Take(active.Count));
            Assert.Equal(silo.SiloAddress.ToString(), Assert.Single(entries, e => e.IsLocal).Address);
        }
    }

    [Fact]
    public async Task Jobs_of_queues_owned_by_either_silo_add_up_in_the_history()
    {
        var tenants = Enumerable.Range(0, 8).Select(i => $"{_tenant}-{i}").ToList();
        foreach (var tenant in tenants)
        {
            for (var i = 0; i < 5; i++)
            {
                await fixture.Jobs.EnqueueAsync(tenant, ClusterFixture.Noop, new ProbePayload());
            }
        }

        await fixture.Probe.WaitForAsync(() => tenants.Sum(fixture.Probe.SuccessesOf) == 40, "the 40 jobs to succeed");

        long enqueued = 0, succeeded = 0;
        await fixture.Probe.WaitForAsync(async () =>
        {
            var now = DateTimeOffset.UtcNow;
            var history = await fixture.Store.ReadHistoryAsync(new HistoryQuery(null, now.AddMinutes(-10), now.AddMinutes(-10), 10_000), default);
            var ours = history.Queues.Where(q => tenants.Contains(q.Queue.Tenant)).ToList();
            (enqueued, succeeded) = (ours.Sum(q => q.Enqueued), ours.Sum(q => q.Succeeded));
            return succeeded >= 40;
        }, "both silos' history writes to count the 40 jobs");

        Assert.Equal((40, 40), (enqueued, succeeded));
    }
}
