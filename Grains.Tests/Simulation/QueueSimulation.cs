using OrleansJobs.Execution;
using OrleansJobs.Grains;
using OrleansJobs.Policies;
using OrleansJobs.Queues.Core;
using OrleansJobs.Storage;
using OrleansJobs.Tenants;

namespace OrleansJobs.Tests.Simulation;

/// <summary>
/// Drives one queue core against the <see cref="ModelStore"/> on a simulated clock, in the spirit of
/// FoundationDB's simulator and TigerBeetle's VOPR. Every command becomes an operation that commits
/// in the store and is answered later, each step chosen by the seed: so commits and answers land in
/// every order, and faults (store errors, refused leases, a lost activation rebuilt from the store, a
/// graceful hand-over) strike anywhere. Invariants are checked after every event; at the end the
/// inputs stop and every job the store holds must finish. One seed, one run: a failure replays exactly.
/// </summary>
internal sealed partial class QueueSimulation
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan HousekeepingInterval = TimeSpan.FromSeconds(5);

    /// <summary>As the tenant grain sets it: three housekeeping intervals; a queue trusts its grant for half that.</summary>
    private static readonly TimeSpan PermitHoldingLifetime = HousekeepingInterval * 3;

    private readonly int _seed;
    private readonly Random _random;
    private readonly SweepRule _sweep;
    private readonly bool _faults;
    private readonly ModelStore _store = new();
    private readonly List<Operation> _pending = [];
    private readonly Queue<(DateTimeOffset At, string Line, object? Detail)> _trace = new();
    private readonly QueueCoreSettings _settings;
    private EffectiveQueuePolicy _policy;

    /// <summary>Most attempts allowed in flight: the budget, or more while attempts started under a larger one before a change still run.</summary>
    private int _budgetCeiling;
    private readonly int? _tenantCap;

    /// <summary>The tenant's real permit pool, shared by the simulated queue ("job") and, under a tenant cap, a sibling queue.</summary>
    private readonly TenantPermitPool _permits;
    private const string QueueName = "job";
    private readonly SiblingQueue? _sibling;

    /// <summary>The queue's holding expired in the pool (a renewal took longer than its lifetime) while attempts ran: until they end, the cap may be exceeded.</summary>
    private bool _permitsLapsed;

    /// <summary>Jobs whose handler runs in the live activation, with whether a cancel asked it to stop.</summary>
    private readonly Dictionary<JobId, bool> _running = [];

    /// <summary>How many handler runs of each job succeeded.</summary>
    private readonly Dictionary<JobId, int> _successes = [];

    /// <summary>Jobs that may run twice: an activation holding them was lost, or their outcome could not be written.</summary>
    private readonly HashSet<JobId> _mayRunTwice = [];
    private readonly HashSet<JobId> _acknowledged = [];

    /// <summary>Whether a person has the queue paused (in the store, so across activations).</summary>
    private bool _paused;

    /// <summary>Until when the activation may start nothing: the latest throttle its handlers reported.</summary>
    private DateTimeOffset? _backoffUntil;

    /// <summary>Recent enqueues as planned, for a client to send again.</summary>
    private readonly Queue<NewJob[]> _sent = new();
    private long _nextId;
    private DateTimeOffset _now = T0;
    private QueueCore _core = null!;
    private int _activation;
    private DateTimeOffset? _dueTimer;
    private DateTimeOffset? _pumpTimer;
    private DateTimeOffset _nextHousekeeping;
    private bool _drained;
    private int _reserved;

    /// <summary>The silo's room, and the simulated queue's share of it in the live activation.</summary>
    private readonly ModelRoom _rooms;

    /// <summary>A quarter of the seeds enqueue a twentieth as often, so the queue is often idle and jobs start as they are inserted.</summary>
    private readonly bool _light;
    private ModelRoom.Activation _room = null!;

    /// <summary>Units a served wait holds that the core has not heard of yet.</summary>
    private int _grantsInFlight;

    /// <summary>A mirror of the queue's rate limit: what the attempts started so far have left of it.</summary>
    private double _tokens;
    private DateTimeOffset _tokensAt;

    public QueueSimulation(int seed, SweepRule sweep = SweepRule.AsCommanded, bool faults = true)
    {
        _seed = seed;
        _random = new Random(seed);
        _sweep = sweep;
        _faults = faults;
        var retry = new RetryPolicy { BaseDelay = TimeSpan.FromMilliseconds(500), MaxDelay = TimeSpan.FromSeconds(5) };
        _settings = new QueueCoreSettings("silo-1", WindowSize: _random.Next(2, 9), LeaseMargin: TimeSpan.FromSeconds(2), MinDueCheckInterval: TimeSpan.FromMilliseconds(100),
            PermitFreshFor: PermitHoldingLifetime / 2, StoreRetryDelay: TimeSpan.FromSeconds(1), retry, static e => e is not InvalidOperationException);
        double? rate = _random.Next(4) == 0 ? _random.Next(2, 20) : null;
        _policy = new EffectiveQueuePolicy(_random.Next(1, 7), rate, _random.Next(1, 4), null, _random.Next(1, 4), TimeSpan.FromSeconds(_random.Next(1, 4)), OverflowPolicy.Reject);
        _tenantCap = _random.Next(3) == 0 ? _random.Next(1, 4) : null;
        _permits = new TenantPermitPool(new SimulatedTime(() => _now), PermitHoldingLifetime);
        _permits.SetCap(_tenantCap);
        _sibling = _tenantCap is { } cap ? new SiblingQueue(_permits, cap, HousekeepingInterval) : null;

        // Drawn apart from the main stream, so the seeds found before the backlog was simulated still replay alike.
        if (new Random(~seed).Next(2) == 0)
        {
            _policy = _policy with { MaxBacklog = 1_000_000 };
        }
        else if (new Random(seed ^ 0x2545F491) is var tight && tight.Next(3) == 0)
        {
            // A backlog small enough to fill: enqueues are refused, or shed lower-priority work.
            _policy = _policy with { MaxBacklog = tight.Next(5, 40), Overflow = tight.Next(2) == 0 ? OverflowPolicy.Reject : OverflowPolicy.ShedLowestPriority };
        }

        ChooseProtection(seed);
        ChoosePartitions(seed);
        _budgetCeiling = _policy.MaxConcurrency;

        // Half the seeds share a small silo room with other queues, so leases wait their turn.
        _light = new Random(seed ^ 0x2545F491).Next(4) == 0;
        _rooms = new Random(seed ^ 0x5BD1E995) is var room && room.Next(2) == 0 ? new ModelRoom(room.Next(1, 8)) : new ModelRoom(1_000_000);
    }

    /// <summary>Runs <paramref name="steps"/> random steps, then stops the inputs and lets everything finish; throws <see cref="SimulationFailure"/> on the first broken promise.</summary>
    public void Run(int steps)
    {
        Activate();
        for (var step = 0; step < steps; step++)
        {
            Step(inputs: true);
        }

        Settle();
    }

    private void Step(bool inputs)
    {
        if (inputs)
        {
            MaybeToggleOutage();
            MaybeToggleTenantPause();
        }

        var roll = _random.NextDouble();
        if (_pending.Count > 0 && roll < 0.55)
        {
            Advance(_pending[_random.Next(_pending.Count)]);
        }
        else if (inputs && roll < 0.69)
        {
            if (!_light || _random.Next(20) == 0)
            {
                Enqueue();
            }
            else
            {
                Tick();
            }
        }
        else if (inputs && roll < 0.70)
        {
            SendAgain();
        }
        else if (inputs && roll < 0.72)
        {
            Cancel();
        }
        else if (inputs && roll < 0.725)
        {
            Event("wake", () => _core.Wake(_now));
        }
        else if (inputs && _faults && roll < 0.728)
        {
            Crash();
        }
        else if (inputs && roll < 0.730)
        {
            HandOver();
        }
        else if (inputs && roll < 0.7325)
        {
            ChangePolicy();
        }
        else if (inputs && _rooms.Capacity < 100 && roll < 0.76)
        {
            OtherQueues();
        }
        else if (inputs && _sibling is not null && roll < 0.78)
        {
            Sibling();
        }
        else
        {
            Tick();
        }
    }

    /// <summary>No more inputs or faults: deliver everything and let time pass until every stored job has finished.</summary>
    private void Settle()
    {
        _rooms.OthersGive(int.MaxValue);
        _outage = false;
        if (_permits.Paused)
        {
            Notify(_permits.SetPaused(false));
        }

        if (_paused)
        {
            _paused = false;
            Event("resumed", () => _core.PauseChanged(_now, paused: false));
        }

        if (_sibling is not null)
        {
            Notify(_sibling.Stop());
        }

        for (var i = 0; i < 200_000 && !AllFinished(); i++)
        {
            if (_pending.Count > 0)
            {
                Advance(_pending[_random.Next(_pending.Count)], faults: false);
            }
            else
            {
                Tick();
            }
        }

        foreach (var row in _store.Rows.Where(r => !ModelStore.IsFinished(r.State)))
        {
            Fail($"job {row.Id} never finished: {row.State}, attempt {row.Attempt}/{row.MaxAttempts}{(_acknowledged.Contains(row.Id) ? " (acknowledged)" : "")}");
        }

        foreach (var (id, runs) in _successes.Where(s => s.Value > 1 && !_mayRunTwice.Contains(s.Key)))
        {
            Fail($"job {id} succeeded {runs} times without a lost activation");
        }
    }

    private bool AllFinished() => _pending.Count == 0 && _store.AllFinished;

    /// <summary>A new activation: what a crashed or departed owner left active runs again, then the core loads.</summary>
    private void Activate()
    {
        _activation++;
        _store.Requeue(_store.Stale(null, []));
        _room = _rooms.Open();
        _grantsInFlight = 0;
        var room = _room;
        room.Granted = units =>
        {
            _grantsInFlight += units;
            _pending.Add(new Operation($"room {units}", null, () =>
            {
                _grantsInFlight -= units;
                Event($"room granted: {units}", () => _core.RoomGranted(_now, units));
            }, _now));
        };
        _core = new QueueCore(_settings, _policy, _policy.MaxBacklog is null ? null : _store.Waiting, new Random(_random.Next()), room);

        // A backoff lives in its activation: the new one starts at once.
        _backoffUntil = null;
        _breakerReported = BreakerState.Closed;
        _keyBreakers.Clear();
        _keyBackoffs.Clear();
        _probes.Clear();
        _holdsPausedGrant = _pauseNoticed = false;
        _dueTimer = _pumpTimer = null;
        _drained = false;
        _tokens = _policy.Burst;
        _tokensAt = _now;
        _nextHousekeeping = _now + HousekeepingInterval;
        Event($"activate #{_activation}", () => _core.Activate(_now, _store.NextDue(), paused: _paused));
    }

    /// <summary>The silo dies: whatever was in flight is lost, each write having committed or not, and handlers die with it.</summary>
    private void Crash()
    {
        foreach (var operation in _pending.ToList())
        {
            if (!operation.Committed && operation.Commit is { } commit && _random.Next(2) == 0)
            {
                commit();
            }
        }

        foreach (var id in _running.Keys.Concat(_core.Attempts.HeldIds()))
        {
            _mayRunTwice.Add(id);
        }

        Note($"crash: {_pending.Count} operation(s) and {_running.Count} handler(s) lost");
        _pending.Clear();
        _running.Clear();
        Activate();
    }

    /// <summary>A graceful hand-over: the activation drains its attempts, then a successor loads the queue.</summary>
    private void HandOver()
    {
        Event("deactivate", () => _core.Deactivate(_now));
        for (var i = 0; i < 100_000 && !_drained; i++)
        {
            if (_pending.Count > 0)
            {
                Advance(_pending[_random.Next(_pending.Count)]);
            }
            else
            {
                Tick();
            }
        }

        if (!_drained)
        {
            Fail("a draining activation never drained");
        }

        // As the shell does once drained: its permits go back to the tenant.
        Notify(_permits.Release(QueueName));

        _pending.Clear();
        Activate();
    }

    /// <summary>Time passes to the next timer, handler end or housekeeping tick (or a little), and what is due fires.</summary>
    private void Tick()
    {
        var next = new[] { _dueTimer, _pumpTimer, _core.HasWork ? _nextHousekeeping : null, _sibling?.RenewsAt }
            .Concat(_pending.Select(p => (DateTimeOffset?)p.NotBefore).Where(t => t > _now))
            .Where(t => t is not null).Min() ?? _now + TimeSpan.FromMilliseconds(_random.Next(1, 2000));
        _now = next > _now ? next : _now + TimeSpan.FromMilliseconds(1);
        if (_dueTimer <= _now)
        {
            _dueTimer = null;
            Event("due timer", () => _core.DueTimerFired(_now));
        }

        if (_pumpTimer <= _now)
        {
            _pumpTimer = null;
            Event("pump timer", () => _core.PumpTimerFired(_now));
        }

        if (_sibling?.RenewsAt <= _now)
        {
            Sibling();
        }

        if (_nextHousekeeping <= _now)
        {
            _nextHousekeeping = _now + HousekeepingInterval;
            if (_core.HasWork)
            {
                Event("housekeeping", () => _core.Housekeep(_now));
            }
        }
    }

    private void Enqueue()
    {
        var count = _random.Next(1, 5);
        var rows = new NewJob[count];
        for (var i = 0; i < count; i++)
        {
            var delay = _random.Next(3) == 0 ? TimeSpan.FromMilliseconds(_random.Next(1, 5000)) : TimeSpan.Zero;
            rows[i] = new NewJob(NewId(), new QueueKey("sim", "job"), [], (JobPriority)_random.Next(3), _now, _now + delay,
                _policy.MaxAttempts, _policy.Timeout, null, null, PartitionKey: DrawKey());
        }

        Submit(rows);
    }

    /// <summary>
    /// A client sends one of its recent enqueues again with the ids it chose, as it does after a
    /// timeout: the first may still be in flight, committed, running or finished.
    /// </summary>
    private void SendAgain()
    {
        if (_sent.Count == 0)
        {
            return;
        }

        // Most often one whose jobs started as they were inserted (they may run now), else any recent one.
        var started = _sent.Where(rows => rows.Any(r => r.Start is not null)).ToList();
        var first = started.Count > 0 && _random.Next(2) == 0 ? started[^1] : _sent.ElementAt(_random.Next(_sent.Count));
        Note($"send again: {string.Join(" ", first.Select(r => Short(r.Id)))}");
        Submit([.. first.Select(r => r with { CreatedAt = _now, RunAt = _now + (r.RunAt - r.CreatedAt), Start = null })]);
    }

    private void Submit(NewJob[] rows)
    {
        var count = rows.Length;

        var decision = _core.ReserveBacklog(rows, shedDone: false);
        if (decision is ShedFirst shed)
        {
            var ids = _store.Shed(shed.Above, shed.Count);
            Event($"shed {ids.Count} of {shed.Count}", () => _core.Shed(ids));
            decision = _core.ReserveBacklog(rows, shedDone: true);
        }

        if (decision is BacklogFull)
        {
            if (_core.Backlog.Waiting + rows.Length <= _policy.MaxBacklog)
            {
                Fail($"enqueue of {rows.Length} refused with {_core.Backlog.Waiting} of {_policy.MaxBacklog} waiting");
            }

            Note($"enqueue {count} refused: backlog full");
            return;
        }

        if (_policy.MaxBacklog is { } max && _core.Backlog.Waiting > max)
        {
            Fail($"{_core.Backlog.Waiting} jobs accepted into a backlog of at most {max}");
        }

        // Until its insert is submitted, the room held for these rows is not in the store yet.
        NewJob[] planned = null!;
        _reserved = count;
        Event($"enqueue {count}", () => planned = _core.PlanStarts(_now, rows));
        _sent.Enqueue(planned);
        if (_sent.Count > 20)
        {
            _sent.Dequeue();
        }

        _reserved = 0;
        TakeTokens(planned.Count(r => r.Start is not null));
        CheckKeyedStarts(planned.Where(r => r.Start is not null).Select(r => r.Id));
        InsertOutcome[]? outcomes = null;
        var failed = false;
        Submit($"insert {count}", () =>
        {
            if (Faulted())
            {
                failed = true;
                return;
            }

            outcomes = _store.Insert(planned);
        }, () =>
        {
            if (failed)
            {
                Event("insert failed", () => _core.InsertFailed(_now, planned));
                return;
            }

            foreach (var row in planned)
            {
                _acknowledged.Add(row.Id);
            }

            Event($"insert committed: {string.Join(" ", planned.Select(r => $"{Short(r.Id)}{(r.Start is not null ? "+" : r.State == JobState.Scheduled ? "@" : "")}"))}", () => _core.InsertCommitted(_now, planned, outcomes!));
        });
    }

    private void Sibling()
    {
        if (_sibling?.RenewsAt is null)
        {
            return;
        }

        var (note, notify) = _sibling.Renew(_now, _random);
        if (!_permits.Queues.Contains(QueueName) && _core.Attempts.InBudget > 0)
        {
            _permitsLapsed = true;
        }

        Note($"{note}{(_permitsLapsed ? " (the queue's holding lapsed)" : "")}");
        Notify(notify);
    }

    /// <summary>The tenant tells the queues it names that their permits changed; the simulated one hears it later.</summary>
    private void Notify(IReadOnlyList<string> queues)
    {
        if (queues.Contains(QueueName))
        {
            _pending.Add(new Operation("permits changed", null, () => Event("permits changed", () => _core.PermitsChanged(_now)), _now));
        }
    }

    /// <summary>
    /// A person changes the queue's concurrency, rate, burst and attempts. Its max backlog stays: a newly
    /// set one is counted from the store, which misses or doubles the rows of writes in flight.
    /// </summary>
    private void ChangePolicy()
    {
        if (_random.Next(3) == 0)
        {
            // Stored before the queue hears of it, as the grain does; a new activation reads it back.
            _paused = !_paused;
            Event(_paused ? "paused" : "resumed", () => _core.PauseChanged(_now, _paused));
            return;
        }

        double? rate = _random.Next(3) == 0 ? _random.Next(2, 20) : null;
        _policy = ChangeProtection(_policy with { MaxConcurrency = _random.Next(1, 7), RatePerSecond = rate, Burst = _random.Next(1, 4), MaxAttempts = _random.Next(1, 4) });
        _budgetCeiling = Math.Max(_policy.MaxConcurrency, _core.Attempts.InBudget);

        // The core starts a full bucket under the new rate; so does the mirror.
        _tokens = _policy.Burst;
        _tokensAt = _now;
        Event($"policy changed: {_policy.MaxConcurrency} at once, rate {rate?.ToString() ?? "none"}, burst {_policy.Burst}", () => _core.PolicyChanged(_now, _policy, _store.Waiting));
    }

    /// <summary>The silo's other queues take or free room.</summary>
    private void OtherQueues()
    {
        if (_random.Next(2) == 0)
        {
            var units = _random.Next(1, _rooms.Capacity + 1);
            Note($"other queues take {units} room ({_rooms.Free} free)");
            _rooms.OthersTake(units);
        }
        else
        {
            var units = _random.Next(1, _rooms.Capacity + 1);
            Note($"other queues free {units} room ({_rooms.Others} held)");
            _rooms.OthersGive(units);
        }
    }

    private void Cancel()
    {
        var waiting = _store.Rows.Where(r => !ModelStore.IsFinished(r.State)).ToList();
        if (waiting.Count == 0)
        {
            return;
        }

        var id = waiting[_random.Next(waiting.Count)].Id;
        var running = false;
        Event($"cancel {Short(id)}", () => running = _core.CancelRequested(id));
        if (!running)
        {
            var cancelled = false;
            Submit($"cancel {Short(id)} in store", () => cancelled = _store.Cancel(id), () =>
            {
                if (cancelled)
                {
                    Event($"cancelled {Short(id)}", () => _core.CancelledInStore(id));
                }
            });
        }
    }

    private JobId NewId()
    {
        var bytes = new byte[16];
        BitConverter.TryWriteBytes(bytes.AsSpan(0, 8), ++_nextId);
        bytes.AsSpan(0, 8).Reverse();
        return JobId.FromBytes(bytes);
    }

    private static string Short(JobId id) => $"#{BitConverter.ToInt64([.. id.ToBytes().Take(8).Reverse()])}";

    /// <summary>Keeps the last steps for a failure's report; formatted only if one is made.</summary>
    private void Note(string line, object? detail = null)
    {
        _trace.Enqueue((_now, line, detail));
        if (_trace.Count > 600)
        {
            _trace.Dequeue();
        }
    }

    private void Fail(string what) => throw new SimulationFailure(_seed, what, _trace.Select(t => $"{(t.At - T0).TotalMilliseconds,9:F0} ms  {t.Line}{t.Detail}"));
}
