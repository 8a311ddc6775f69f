using System.Collections.Concurrent;
using System.Data.Common;
using Microsoft.Extensions.DependencyInjection;
using OrleansJobs.Hosting;
using OrleansJobs.Storage;

namespace OrleansJobs.Tests.Cluster;

/// <summary>A store error the way Npgsql raises one when the server killed the connection: a type no client knows.</summary>
public sealed class ServerKilledConnectionException() : DbException("terminating connection due to administrator command")
{
    public override string SqlState => "57P01";
}

/// <summary>The tenants whose reads fail, switched on and off by the tests.</summary>
public sealed class ReadFaults
{
    public ConcurrentDictionary<string, bool> FailingTenants { get; } = new();

    public void ThrowIfFailing(string tenant)
    {
        if (FailingTenants.ContainsKey(tenant))
        {
            throw new ServerKilledConnectionException();
        }
    }
}

/// <summary>The silo's real read store, except that reads for a failing tenant throw the store's own exception.</summary>
internal sealed class FaultyReads(IQueueReadStore inner, ReadFaults faults) : IQueueReadStore
{
    public Task<IReadOnlyList<ReadyJob>> ReadReadyAsync(QueueKey queue, ReadyJob? after, int limit, CancellationToken cancellationToken) =>
        inner.ReadReadyAsync(queue, after, limit, cancellationToken);

    public Task<PartitionHeads> ReadPartitionHeadsAsync(PartitionHeadsRequest request, CancellationToken cancellationToken) =>
        inner.ReadPartitionHeadsAsync(request, cancellationToken);

    public Task<DateTimeOffset?> GetNextDueAsync(QueueKey queue, CancellationToken cancellationToken) => inner.GetNextDueAsync(queue, cancellationToken);

    public Task<QueueCounts> GetQueueCountsAsync(QueueKey queue, CancellationToken cancellationToken)
    {
        faults.ThrowIfFailing(queue.Tenant);
        return inner.GetQueueCountsAsync(queue, cancellationToken);
    }

    public Task<QueueSettings> GetQueueSettingsAsync(QueueKey queue, CancellationToken cancellationToken)
    {
        faults.ThrowIfFailing(queue.Tenant);
        return inner.GetQueueSettingsAsync(queue, cancellationToken);
    }

    public Task<IReadOnlyDictionary<string, int>> CountActiveByJobTypeAsync(string tenant, CancellationToken cancellationToken)
    {
        faults.ThrowIfFailing(tenant);
        return inner.CountActiveByJobTypeAsync(tenant, cancellationToken);
    }

    public Task<IReadOnlyList<QueueKey>> ListQueuesWithPendingWorkAsync(CancellationToken cancellationToken) => inner.ListQueuesWithPendingWorkAsync(cancellationToken);
}

/// <summary>A silo whose read store fails on demand.</summary>
public sealed class FaultyReadsFixture() : SiloFixture("orleansjobs-faulty-reads-")
{
    public ReadFaults Faults { get; } = new();

    protected override void AddServices(IServiceCollection services)
    {
        services.AddSingleton(Faults);
        services.AddSingleton<IQueueReadStore>(sp => new FaultyReads(sp.GetRequiredService<IJobStore>(), sp.GetRequiredService<ReadFaults>()));
    }

    protected override void AddJobs(Func<Action<OrleansJobsOptions>, OrleansJobsBuilder> configure) =>
        configure(_ => { }).AddJobHandler<ProbePayload, ProbeHandler>(ClusterFixture.Noop);
}

public sealed class StoreErrorBoundaryTests(FaultyReadsFixture fixture) : IClassFixture<FaultyReadsFixture>
{
    private readonly string _tenant = "t" + Guid.NewGuid().ToString("N")[..12];

    [Fact]
    public async Task A_store_error_while_a_queue_activates_reaches_the_caller_as_JobStoreUnavailableException()
    {
        fixture.Faults.FailingTenants[_tenant] = true;

        var error = await Assert.ThrowsAsync<JobStoreUnavailableException>(
            () => fixture.Jobs.EnqueueAsync(_tenant, ClusterFixture.Noop, new ProbePayload()));
        Assert.Contains("SQLSTATE 57P01", error.Message);

        // Once the store answers again, so does the queue.
        fixture.Faults.FailingTenants.TryRemove(_tenant, out _);
        var id = await fixture.Jobs.EnqueueAsync(_tenant, ClusterFixture.Noop, new ProbePayload());
        await fixture.Probe.WaitForAsync(() => fixture.Probe.Successes(id) == 1, "the job to run");
    }

    [Fact]
    public async Task A_store_error_in_a_grain_call_reaches_the_caller_as_JobStoreUnavailableException()
    {
        var id = await fixture.Jobs.EnqueueAsync(_tenant, ClusterFixture.Noop, new ProbePayload());
        await fixture.Probe.WaitForAsync(() => fixture.Probe.Successes(id) == 1, "the job to run");

        fixture.Faults.FailingTenants[_tenant] = true;
        var error = await Assert.ThrowsAsync<JobStoreUnavailableException>(() => fixture.Jobs.GetQueueStatsAsync(_tenant, ClusterFixture.Noop));
        Assert.Contains(nameof(ServerKilledConnectionException), error.Message);
        fixture.Faults.FailingTenants.TryRemove(_tenant, out _);
    }

    [Fact]
    public async Task A_store_error_while_a_tenant_activates_reaches_the_caller_as_JobStoreUnavailableException()
    {
        fixture.Faults.FailingTenants[_tenant] = true;
        await Assert.ThrowsAsync<JobStoreUnavailableException>(() => fixture.Jobs.GetTenantPolicyAsync(_tenant));
        fixture.Faults.FailingTenants.TryRemove(_tenant, out _);
        Assert.NotNull(await fixture.Jobs.GetTenantPolicyAsync(_tenant));
    }
}
