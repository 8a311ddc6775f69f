using OrleansJobs.Queues;
using OrleansJobs.Queues.Core;
using OrleansJobs.Storage;

namespace OrleansJobs.Tests.Simulation;

/// <summary>What must hold after every event, and what must hold whenever no store operation is in flight.</summary>
internal sealed partial class QueueSimulation
{
    private void CheckInvariants()
    {
        var attempts = _core.Attempts;
        if (attempts.InBudget > _budgetCeiling)
        {
            Fail($"{attempts.InBudget} attempts in flight, over the queue's budget of {_policy.MaxConcurrency} (at most {_budgetCeiling} while earlier ones run)");
        }

        _budgetCeiling = Math.Max(_policy.MaxConcurrency, Math.Min(_budgetCeiling, attempts.InBudget));

        // A holding whose renewal took longer than its lifetime is given away; the attempts that ran
        // under it may then exceed the cap until they end (docs/architecture.md, known limits).
        _permitsLapsed &= attempts.InBudget > 0;
        if (_tenantCap is { } cap && _sibling is { } sibling && attempts.InBudget + sibling.Running > cap && !_permitsLapsed)
        {
            Fail($"{attempts.InBudget} attempts in flight here and {sibling.Running} in the sibling queue, over the tenant's cap of {cap}");
        }

        if (_room.Held != attempts.InBudget + _grantsInFlight)
        {
            Fail($"the queue holds {_room.Held} units of room for {attempts.InBudget} attempts in flight and {_grantsInFlight} granted units on their way");
        }

        if (_rooms.InUse > _rooms.Capacity)
        {
            Fail($"{_rooms.InUse} units of room in use, over the silo's {_rooms.Capacity}");
        }

        var window = _core.Window;
        // A half-open breaker waits for its probes to end, which pump the queue again.
        // Jobs whose keys are at their limits wait for those keys' attempts to end.
        var startable = _core.Gate is not { } gate ? window.Count : window.InRunOrder.Count(j => j.Partition is null || gate.CouldStart(j.Partition));
        if (!_core.Draining && !_paused && startable > 0 && _core.SlotsFree > 0 && !_core.Room.Waiting && _pumpTimer is null && _core.Breaker is not { State: BreakerState.HalfOpen })
        {
            Fail($"{window.Count} due job(s) wait and {_core.SlotsFree} slot(s) are free, yet the queue neither leases, waits for room, nor waits for the rate (room: {_rooms.Free} free of {_rooms.Capacity}, {_room.Held} held, model waiting {_room.Waiting}; rate {_policy.RatePerSecond}; window {string.Join(" ", window.InRunOrder.Select(j => $"{Short(j.Id)}/{j.Partition}{(j.Partition is { } k && _core.Gate?.CouldStart(k) == false ? "(blocked)" : "")}"))}; {_core.Heads})");
        }

        if (window.Count > window.Capacity)
        {
            Fail($"the window holds {window.Count} jobs, over its capacity of {window.Capacity}");
        }

        if (window.InRunOrder.FirstOrDefault(j => attempts.Holds(j.Id)) is { Id: var both } && attempts.Holds(both))
        {
            Fail($"job {Short(both)} is both in the window and held by an attempt");
        }

        CheckLimit();
        CheckKeyLimits();
        if (_pending.All(p => p.Commit is null))
        {
            CheckAgainstStore();
        }
    }

    /// <summary>Attempts start now: within the rate (a burst, then the rate), never while paused or backing off from a throttled downstream.</summary>
    private void TakeTokens(int started)
    {
        if (started > 0 && _paused)
        {
            Fail($"{started} attempt(s) started while a person has the queue paused");
        }

        CheckProtectedStarts(started);
        if (started > 0 && _backoffUntil > _now)
        {
            Fail($"{started} attempt(s) started while the queue backs off until {(_backoffUntil.Value - T0).TotalMilliseconds:F0} ms for its throttled downstream");
        }

        if (_policy.RatePerSecond is not { } rate || started == 0)
        {
            return;
        }

        _tokens = Math.Min(_policy.Burst, _tokens + ((_now - _tokensAt).TotalSeconds * rate)) - started;
        _tokensAt = _now;
        if (_tokens < -1e-6)
        {
            Fail($"{started} attempt(s) started beyond the rate of {rate}/s with a burst of {_policy.Burst}");
        }
    }

    /// <summary>With no store operation in flight the core's view must agree with the store.</summary>
    private void CheckAgainstStore()
    {
        var window = _core.Window;
        var inWindow = window.InRunOrder.Select(j => j.Id).ToHashSet();
        var enqueued = _store.Enqueued.Where(r => !_core.Attempts.Holds(r.Id)).ToList();
        // A page read before a cancel or an attempt's end may be answered after it, leaving a job in the
        // window that is no longer due: harmless, its lease is refused. So only the other direction is checked.
        var missing = enqueued.Where(r => !inWindow.Contains(r.Id)).ToList();
        if (_core.Backlog.Waiting is { } waiting && waiting != _store.Waiting + _reserved && !_core.Draining)
        {
            Fail($"the backlog count says {waiting} jobs wait, the store holds {_store.Waiting} (and {_reserved} are being enqueued)");
        }

        if (window.View == StoreView.Mirrored && missing.Count > 0)
        {
            Fail($"the window says it mirrors the store, but {missing.Count} due job(s) are missing from it, e.g. {Short(missing[0].Id)}");
        }

        if (window.View == StoreView.MoreAfterWindow && window.Last is { } last && missing.FirstOrDefault(r => RunsBefore(r.Ready, last)) is { } ahead)
        {
            Fail($"job {Short(ahead.Id)} runs before the window's last but is not in it: the window is not the head of the queue (window {string.Join(", ", window.InRunOrder.Select(j => $"{Short(j.Id)}/{j.Priority}/{(j.RunAt - T0).TotalMilliseconds}"))}; job {ahead.Priority}/{(ahead.RunAt - T0).TotalMilliseconds}; {window.Reading})");
        }

        CheckNoKeyStarves();

        // The due timer fires by the earliest scheduled job's time, or soon after now when that has
        // passed or a promotion just failed: never later, or a delayed job or retry would wait.
        if (_store.NextDue() is { } due && !_core.Draining)
        {
            if (_dueTimer is not { } timer)
            {
                Fail($"a job is scheduled at {(due - T0).TotalMilliseconds} ms but the due timer is not armed");
                return;
            }

            var latest = (due > _now ? due : _now) + _settings.StoreRetryDelay + _settings.MinDueCheckInterval;
            if (timer > latest)
            {
                Fail($"a job is scheduled at {(due - T0).TotalMilliseconds} ms but the due timer fires at {(timer - T0).TotalMilliseconds} ms");
            }
        }
    }

    private static bool RunsBefore(ReadyJob a, ReadyJob b) => ReadyWindow.RunOrder.Compare(a, b) < 0;
}
