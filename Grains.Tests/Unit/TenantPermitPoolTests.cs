using Microsoft.Extensions.Time.Testing;
using OrleansJobs.Tenants;

namespace OrleansJobs.Tests.Unit;

public sealed class TenantPermitPoolTests
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(30);
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.Parse("2026-01-01T00:00:00Z"));

    private TenantPermitPool Pool(int? cap)
    {
        var pool = new TenantPermitPool(_clock, Lifetime);
        pool.SetCap(cap);
        return pool;
    }

    [Fact]
    public void Without_a_cap_every_queue_is_unlimited_and_never_contended()
    {
        var pool = Pool(null);
        var (grant, notify) = pool.Sync("a", held: 0, wanted: 500);
        Assert.Equal(new OrleansJobs.Grains.PermitGrant(null, null), grant);
        Assert.Empty(notify);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(10)]
    public void A_paused_tenant_honours_what_runs_starts_nothing_more_and_tells_its_queues_on_both_moves(int? cap)
    {
        var pool = Pool(cap);
        pool.Sync("a", held: 0, wanted: 4);
        pool.Sync("b", held: 0, wanted: 2);

        Assert.Equal(["a", "b"], pool.SetPaused(true).Order());
        var (grant, notify) = pool.Sync("a", held: 3, wanted: 6);
        Assert.Equal(new OrleansJobs.Grains.PermitGrant(3, 0, Paused: true), grant);
        Assert.Empty(notify);

        Assert.Equal(["a", "b"], pool.SetPaused(false).Order());
        Assert.False(pool.Sync("a", held: 0, wanted: 6).Grant.Paused);
    }

    [Fact]
    public void Grants_up_to_the_cap_and_no_further()
    {
        var pool = Pool(10);
        Assert.Equal(8, pool.Sync("a", 0, 8).Grant.Allowance);
        var (b, notify) = pool.Sync("b", 0, 5);
        Assert.Equal(2, b.Allowance);
        Assert.Equal(["a"], notify);
        Assert.Equal(10, pool.Allotted);
    }

    [Fact]
    public void Queues_that_hold_more_than_their_share_give_it_back_as_they_finish_until_the_split_is_even()
    {
        var pool = Pool(10);
        pool.Sync("a", 0, 10);
        pool.Sync("b", 0, 10);

        // "a" runs 10; as each job finishes it keeps one fewer, down to its share, and "b" takes the rest.
        var a = 10;
        var b = 0;
        for (var step = 0; step < 10; step++)
        {
            var grantA = pool.Sync("a", held: Math.Max(5, a - 1), wanted: 10).Grant;
            Assert.Equal(5, grantA.Share);
            a = grantA.Allowance!.Value;
            b = pool.Sync("b", held: b, wanted: 10).Grant.Allowance!.Value;
            Assert.InRange(a + b, 0, 10);
        }

        Assert.Equal((5, 5), (a, b));
    }

    [Fact]
    public void Never_tells_a_queue_to_hold_less_than_it_keeps_even_when_the_cap_drops_below_it()
    {
        var pool = Pool(10);
        pool.Sync("a", 0, 10);
        Assert.Equal(["a"], pool.SetCap(3));

        Assert.Equal(10, pool.Sync("a", held: 10, wanted: 10).Grant.Allowance);
        Assert.Equal(0, pool.Sync("b", 0, 1).Grant.Allowance);
        Assert.Equal(6, pool.Sync("a", held: 6, wanted: 10).Grant.Allowance);
        Assert.Equal(2, pool.Sync("a", held: 2, wanted: 10).Grant.Allowance);
    }

    [Fact]
    public void A_queue_over_the_cap_keeps_what_it_runs_but_may_start_nothing_beyond_what_fits()
    {
        var pool = Pool(10);
        pool.Sync("a", 0, 10);
        pool.SetCap(3);

        var lowered = pool.Sync("a", held: 10, wanted: 10).Grant;
        Assert.Equal((10, 3), (lowered.Allowance, lowered.Share));

        // A queue whose renewal came after its holding lapsed and was given away: what it says it
        // runs is honoured, but it starts nothing more.
        var slow = Pool(2);
        slow.Sync("slow", 1, 1);
        _clock.Advance(Lifetime + TimeSpan.FromSeconds(1));
        Assert.Equal(2, slow.Sync("b", 0, 2).Grant.Allowance);
        var back = slow.Sync("slow", held: 1, wanted: 2).Grant;
        Assert.Equal((1, 0), (back.Allowance, back.Share));
    }

    [Fact]
    public void A_queue_not_heard_of_within_the_lifetime_is_gone_and_its_permits_go_to_those_waiting()
    {
        var pool = Pool(4);
        pool.Sync("crashed", 0, 4);
        Assert.Equal(0, pool.Sync("b", 0, 4).Grant.Allowance);

        _clock.Advance(Lifetime - TimeSpan.FromSeconds(1));
        Assert.Equal(0, pool.Sync("b", 0, 4).Grant.Allowance);

        _clock.Advance(TimeSpan.FromSeconds(2));
        var (grant, _) = pool.Sync("b", 0, 4);
        Assert.Equal(4, grant.Allowance);
        Assert.Equal(["b"], pool.Queues);
    }

    [Fact]
    public void Expiry_elsewhere_tells_the_waiting_queues()
    {
        var pool = Pool(4);
        pool.Sync("crashed", 0, 4);
        _clock.Advance(Lifetime / 2);
        pool.Sync("b", 0, 4);
        _clock.Advance(Lifetime / 2 + TimeSpan.FromSeconds(1));
        Assert.Equal(["b"], pool.Sync("c", 0, 0).Notify);
    }

    [Fact]
    public void A_released_queue_frees_its_permits_for_the_waiting_ones()
    {
        var pool = Pool(4);
        pool.Sync("a", 0, 4);
        pool.Sync("b", 0, 2);
        pool.Sync("c", 0, 0);
        Assert.Equal(["b"], pool.Release("a"));
        Assert.Equal(2, pool.Sync("b", 0, 2).Grant.Allowance);
        Assert.Empty(pool.Release("c"));
    }

    [Fact]
    public void A_new_owner_seeded_with_the_active_jobs_does_not_hand_them_out_again()
    {
        var pool = Pool(5);
        pool.Seed(new Dictionary<string, int> { ["a"] = 3, ["b"] = 1 });
        Assert.Equal(1, pool.Sync("c", 0, 5).Grant.Allowance);
        Assert.Equal(3, pool.Sync("a", held: 3, wanted: 3).Grant.Allowance);
    }
}
