using OrleansJobs.Queues.Core;
using OrleansJobs.Storage;

namespace OrleansJobs.Tests.Unit.Core;

public sealed class PartitionGateTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.Parse("2026-01-01T00:00:00Z");
    private readonly JobIdGenerator _ids = new(TimeProvider.System);
    private readonly EventClock _clock = new() { Now = T0 };

    private static readonly CircuitBreakerPolicy Breaker = new()
    {
        FailureRatio = 0.5,
        MinimumAttempts = 2,
        SamplingWindow = TimeSpan.FromSeconds(10),
        BreakFor = TimeSpan.FromSeconds(5),
        Probes = 1,
    };

    private PartitionGate Gate(int perKey = 2, double? rate = null, int? burst = null, bool breakers = false) =>
        new(new PartitionPolicy { MaxConcurrency = perKey, RatePerSecond = rate, Burst = burst, BreakerPerKey = breakers }, Breaker, _clock);

    [Fact]
    public void A_key_admits_up_to_its_limit_counting_picks_and_attempts_until_their_handlers_end()
    {
        var gate = Gate(perKey: 2);
        Assert.True(gate.Admits("a", 1, out _, out _));
        Assert.False(gate.Admits("a", 2, out var retryAt, out _));
        Assert.Null(retryAt);

        var first = _ids.Next();
        gate.Began(first, "a");
        gate.Began(_ids.Next(), "a");
        Assert.False(gate.CouldStart("a"));
        Assert.True(gate.CouldStart("b"));

        gate.HandlerEnded(first);
        Assert.True(gate.CouldStart("a"));
        Assert.Equal(1, gate.Running("a"));
    }

    [Fact]
    public void A_keys_rate_lets_its_burst_through_then_says_when_the_next_token_comes()
    {
        var gate = Gate(perKey: 10, rate: 2, burst: 2);
        Assert.True(gate.Admits("a", 1, out _, out _));
        Assert.False(gate.Admits("a", 2, out var retryAt, out _));
        Assert.NotNull(retryAt);

        gate.Began(_ids.Next(), "a");
        gate.Began(_ids.Next(), "a");
        Assert.False(gate.Admits("a", 0, out retryAt, out _));
        Assert.Equal(T0.AddSeconds(0.5), retryAt);
        Assert.True(gate.Admits("b", 0, out _, out _));

        _clock.Now = T0.AddSeconds(0.5);
        Assert.True(gate.CouldStart("a"));
    }

    [Fact]
    public void A_throttled_key_waits_until_its_downstream_said_and_no_other_key_does()
    {
        var gate = Gate(perKey: 5);
        gate.BackOff("slow", T0.AddSeconds(3));
        gate.BackOff("slow", T0.AddSeconds(1));

        Assert.False(gate.Admits("slow", 0, out var retryAt, out _));
        Assert.Equal(T0.AddSeconds(3), retryAt);
        Assert.False(gate.CouldStart("slow"));
        Assert.True(gate.Admits("fast", 0, out _, out _));

        _clock.Now = T0.AddSeconds(3);
        Assert.True(gate.CouldStart("slow"));
    }

    [Fact]
    public void A_key_says_when_time_alone_opens_it_and_nothing_when_it_waits_for_its_attempts()
    {
        var gate = Gate(perKey: 1, rate: 1, burst: 1);
        Assert.Null(gate.ReopensAt("unseen"));

        // Its one attempt holds the slot: that attempt's end pumps the queue, no time does.
        var id = _ids.Next();
        gate.Began(id, "a");
        Assert.Null(gate.ReopensAt("a"));

        // The slot is free but the token is spent, and the downstream asked for two seconds: the later wins.
        gate.HandlerEnded(id);
        Assert.Equal(T0.AddSeconds(1), gate.ReopensAt("a"));
        gate.BackOff("a", T0.AddSeconds(2));
        Assert.Equal(T0.AddSeconds(2), gate.ReopensAt("a"));

        _clock.Now = T0.AddSeconds(2);
        Assert.True(gate.CouldStart("a"));
        Assert.Null(gate.ReopensAt("a"));
    }

    [Fact]
    public void A_round_that_found_only_keys_blocked_by_time_asks_to_be_woken_when_the_first_opens()
    {
        var pool = new PartitionHeadPool(keysPerRead: 2, jobsPerKey: 1);
        var read = pool.StartRead(new HashSet<string>(StringComparer.Ordinal) { "hot" })!;
        pool.Read(read, new PartitionHeads([], null, Ended: true), _ => false, _ => false);

        var opens = new Dictionary<string, DateTimeOffset?> { ["hot"] = T0.AddSeconds(3) };
        Assert.Equal(T0.AddSeconds(3), pool.Reconsider(_ => false, key => opens.GetValueOrDefault(key)));
        Assert.Null(pool.StartRead([]));

        // Once the key is open (and no job of it in sight) the store is read again.
        Assert.Null(pool.Reconsider(key => key == "hot", _ => null));
        Assert.NotNull(pool.StartRead([]));
    }

    [Fact]
    public void A_failing_key_opens_its_own_breaker_and_no_other()
    {
        var gate = Gate(perKey: 5, breakers: true);
        for (var i = 0; i < 2; i++)
        {
            var id = _ids.Next();
            gate.Began(id, "bad");
            var breaker = gate.HandlerEnded(id)!;
            breaker.Ended(_clock.Now, id, BreakerVerdict.Failed, out _);
        }

        Assert.False(gate.Admits("bad", 0, out var retryAt, out _));
        Assert.Equal(T0.AddSeconds(5), retryAt);
        Assert.Equal(1, gate.BreakersNotClosed);
        Assert.True(gate.Admits("good", 0, out _, out _));

        // After the break one probe may start; one that never ran gives its place back.
        _clock.Now = T0.AddSeconds(5);
        Assert.True(gate.Admits("bad", 0, out _, out var halfOpen));
        Assert.Equal(new BreakerChange(BreakerState.HalfOpen, null, 2, 2, "bad"), halfOpen);
        var probe = _ids.Next();
        gate.Began(probe, "bad");
        Assert.False(gate.CouldStart("bad"));
        gate.EndedWithoutRunning(probe);
        Assert.True(gate.CouldStart("bad"));
    }

    [Fact]
    public void Idle_keys_are_forgotten_once_many_are_known_so_memory_follows_the_attempts_in_flight()
    {
        var gate = Gate(perKey: 1);
        var running = _ids.Next();
        gate.Began(running, "busy");
        for (var i = 0; i < PartitionGate.MaxIdleKeys * 3; i++)
        {
            var id = _ids.Next();
            gate.Began(id, $"k{i}");
            gate.HandlerEnded(id);
        }

        Assert.InRange(gate.KnownKeys, 2, PartitionGate.MaxIdleKeys + 2);
        Assert.Equal(1, gate.Running("busy"));
    }
}
