using OrleansJobs.Queues.Core;
using OrleansJobs.Storage;

namespace OrleansJobs.Tests.Simulation;

/// <summary>
/// Partition keys under simulation: some seeds give the queue limits per key (in flight, rate, a
/// breaker per key) and their jobs keys from a small set, one of them hot. Drawn from a stream of
/// their own, so seeds without partitions replay as before. Checked: no key runs past its limit, no
/// key starts while its breaker is open, and no job of a key that could start waits while slots are free.
/// </summary>
internal sealed partial class QueueSimulation
{
    /// <summary>Keys drawn for jobs: the empty key is what jobs without one get; null stands for jobs stored before the queue had partitions.</summary>
    private static readonly string?[] Keys = ["hot", "hot", "hot", "a", "b", "c", "d", "", null];

    private Random _partitionDraws = null!;

    /// <summary>Until when each key's throttled downstream asked it to wait, in the live activation.</summary>
    private readonly Dictionary<string, DateTimeOffset> _keyBackoffs = new(StringComparer.Ordinal);

    /// <summary>Each key's breaker as the core last reported it.</summary>
    private readonly Dictionary<string, BreakerState> _keyBreakers = new(StringComparer.Ordinal);

    private void ChoosePartitions(int seed)
    {
        // Priority aging for a quarter of the seeds, from a stream of its own too.
        var aging = new Random(seed ^ 0x510E527F);
        if (aging.Next(4) == 0)
        {
            _policy = _policy with { PriorityAging = TimeSpan.FromMilliseconds(aging.Next(500, 10_000)) };
        }

        _partitionDraws = new Random(seed ^ 0x3C6EF372);
        if (_partitionDraws.Next(3) != 0)
        {
            return;
        }

        _policy = _policy with
        {
            Partitions = new PartitionPolicy
            {
                MaxConcurrency = _partitionDraws.Next(1, 4),
                RatePerSecond = _partitionDraws.Next(3) == 0 ? _partitionDraws.Next(1, 10) : null,
                BreakerPerKey = _partitionDraws.Next(2) == 0,
            },
        };
    }

    /// <summary>A new job's key: none when the queue has no partitions; else mostly the hot key, sometimes none at all.</summary>
    private string? DrawKey() => _policy.Partitions is null ? null : Keys[_partitionDraws.Next(Keys.Length)];

    private string? KeyOf(JobId id) => _store.Rows.Count > 0 && _store.Contains(id) ? _store[id].Partition : null;

    /// <summary>A breaker of a key moved: it must follow the breaker's cycle, as the queue's does.</summary>
    private void KeyBreakerReported(BreakerChange change)
    {
        var key = change.Key!;
        var from = _keyBreakers.GetValueOrDefault(key);
        var allowed = (from, change.State) switch
        {
            (BreakerState.Closed, BreakerState.Open) => true,
            (BreakerState.Open, BreakerState.HalfOpen) => true,
            (BreakerState.HalfOpen, BreakerState.Open or BreakerState.Closed) => true,
            _ => false,
        };
        if (!allowed)
        {
            Fail($"key '{key}' breaker was reported moving from {from} to {change.State}");
        }

        _keyBreakers[key] = change.State;
    }

    /// <summary>Attempts of these jobs start: none of a key whose breaker is open, nor of one its downstream throttled.</summary>
    private void CheckKeyedStarts(IEnumerable<JobId> started)
    {
        foreach (var id in started)
        {
            if (KeyOf(id) is not { } key)
            {
                continue;
            }

            if (_keyBreakers.GetValueOrDefault(key) == BreakerState.Open)
            {
                Fail($"job {Short(id)} of key '{key}' started while the key's breaker is open");
            }

            if (_keyBackoffs.TryGetValue(key, out var until) && until > _now)
            {
                Fail($"job {Short(id)} of key '{key}' started while the key backs off until {(until - T0).TotalMilliseconds:F0} ms for its throttled downstream");
            }
        }
    }

    /// <summary>Whether the breaker that judges this job's attempts is open, as last reported.</summary>
    private BreakerState BreakerOver(JobId id) =>
        _policy.Partitions is { BreakerPerKey: true } && KeyOf(id) is { } key ? _keyBreakers.GetValueOrDefault(key) : _breakerReported;

    /// <summary>No key has more attempts holding slots than its limit allows.</summary>
    private void CheckKeyLimits()
    {
        if (_policy.Partitions is not { } partitions)
        {
            return;
        }

        var byKey = _core.Attempts.HeldIds()
            .Where(id => _core.Attempts.PhaseOf(id) != AttemptPhase.Recording)
            .Select(KeyOf).Where(k => k is not null).GroupBy(k => k!);
        foreach (var key in byKey)
        {
            if (key.Count() > partitions.MaxConcurrency)
            {
                Fail($"{key.Count()} attempts of key '{key.Key}' in flight, over its limit of {partitions.MaxConcurrency}");
            }
        }
    }

    /// <summary>
    /// With nothing in flight: a due job whose key could take an attempt must not wait while slots are
    /// free and the queue neither leases, reads past its window, waits for room nor for a timer. A key
    /// with a deep backlog must not hold back the others.
    /// </summary>
    private void CheckNoKeyStarves()
    {
        if (_core.Gate is not { } gate || _core.Draining || _paused || _core.SlotsFree <= 0 || _core.Room.Waiting || _pumpTimer is not null
            || _core.BackingOff || _core.Breaker is { State: not BreakerState.Closed } || _core.Heads!.Reading)
        {
            return;
        }

        // A job without a key (stored before the queue had partitions) waits its turn in run order only.
        var waiting = _store.Enqueued.FirstOrDefault(r => !_core.Attempts.Holds(r.Id) && r.Partition is { } key && gate.CouldStart(key));
        if (waiting is not null)
        {
            Fail($"job {Short(waiting.Id)} of key '{waiting.Partition}' waits with {_core.SlotsFree} slot(s) free and its key open, and nothing is under way to start it"
                + $" (window {_core.Window.View}: {string.Join(" ", _core.Window.InRunOrder.Select(j => $"{Short(j.Id)}/{j.Partition}"))}; {_core.Heads}; running {string.Join(" ", Keys.Distinct().OfType<string>().Select(k => $"'{k}'={gate.Running(k)}"))})");
        }
    }
}
