using OrleansJobs.Policies;
using OrleansJobs.Queues.Core;

namespace OrleansJobs.Tests.Unit.Core;

public sealed class BacklogGuardTests
{
    private static readonly EffectiveQueuePolicy Capped = new(4, null, 1, MaxBacklog: 100, 3, TimeSpan.FromMinutes(1), OverflowPolicy.Reject);

    [Fact]
    public void A_policy_change_keeps_the_queues_own_count_rather_than_a_store_count_that_misses_writes_in_flight()
    {
        var guard = new BacklogGuard(waiting: 10);

        guard.PolicyChanged(Capped with { MaxConcurrency = 8 }, storeWaiting: 7);

        Assert.Equal(10, guard.Waiting);
    }

    [Fact]
    public void A_max_backlog_newly_set_starts_from_the_store_and_one_removed_stops_counting()
    {
        var guard = new BacklogGuard(waiting: null);

        guard.PolicyChanged(Capped, storeWaiting: 7);
        Assert.Equal(7, guard.Waiting);

        guard.PolicyChanged(Capped with { MaxBacklog = null }, storeWaiting: 7);
        Assert.Null(guard.Waiting);
    }
}
