using OrleansJobs.Grains;
using OrleansJobs.Queues.Core;

namespace OrleansJobs.Tests.Unit.Core;

public sealed class PermitClientTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_grant_is_fresh_from_when_its_request_left_not_from_when_a_slow_answer_came()
    {
        var permits = new PermitClient(freshFor: TimeSpan.FromSeconds(10));
        Assert.NotNull(permits.Sync(T0, wanted: 2, inBudget: 0));

        // The tenant renewed the holding when it handled the request, at T0 at the latest after it left.
        permits.Granted(T0 + TimeSpan.FromSeconds(8), new PermitGrant(2, null));

        Assert.Equal(2, permits.Free(T0 + TimeSpan.FromSeconds(9), inBudget: 0));
        Assert.Equal(0, permits.Free(T0 + TimeSpan.FromSeconds(11), inBudget: 0));
    }

    [Fact]
    public void A_grant_over_the_cap_lets_the_queue_keep_what_runs_and_start_nothing()
    {
        var permits = new PermitClient(freshFor: TimeSpan.FromSeconds(10));
        permits.Sync(T0, wanted: 2, inBudget: 1);
        permits.Granted(T0, new PermitGrant(Allowance: 1, Share: 0));

        Assert.Equal(0, permits.Free(T0, inBudget: 1));

        // Once that attempt ends it gives the permit back rather than keep it.
        Assert.Equal(new SyncPermits(0, 2), permits.SyncIfNeeded(T0, wanted: 2, inBudget: 0));
    }
}
