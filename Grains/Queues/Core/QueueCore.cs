using System.Diagnostics;
using OrleansJobs.Execution;
using OrleansJobs.Policies;
using OrleansJobs.Storage;
using OrleansJobs.Grains;

namespace OrleansJobs.Queues.Core;

/// <summary>
/// One queue's decisions, as a synchronous state machine: what to page in, lease and start, when to
/// wake, what to requeue, what an attempt's end means. Events come in as method calls carrying the
/// time; commands go out as data (<see cref="TakeCommands"/>) for the shell to carry out and answer
/// with the matching event. No I/O, no awaits, no clock reads; chance only from the injected source.
/// Not thread-safe: one activation's turns drive it one at a time.
/// </summary>
internal sealed partial class QueueCore
{
    private readonly QueueCoreSettings _settings;
    private readonly Random _random;
    private readonly EventClock _clock = new();
    private readonly List<QueueCommand> _commands = [];

    /// <summary>
    /// Jobs paged in or promoted while an attempt of this activation held them: offered once that
    /// attempt ends without running (a refused lease) or once its outcome is written; dropped when
    /// its lease or insert commits, since the attempt then owns the job.
    /// </summary>
    private readonly Dictionary<JobId, ReadyJob> _offeredWhileHeld = [];
    private TokenBucket? _bucket;

    public QueueCore(QueueCoreSettings settings, EffectiveQueuePolicy policy, long? waiting, Random random, IAttemptRoom room)
    {
        Room = new RoomClient(room);
        _settings = settings;
        _random = random;
        Window = new WindowFeed(settings.WindowSize);
        Due = new DueClock(settings.MinDueCheckInterval, settings.StoreRetryDelay);
        Permits = new PermitClient(settings.PermitFreshFor);
        Policy = policy;
        Backlog = new BacklogGuard(waiting);
        ProtectWith(policy);
        PartitionWith(policy);
    }

    public EffectiveQueuePolicy Policy { get; private set; }

    public BacklogGuard Backlog { get; }

    public AttemptTable Attempts { get; } = new();

    public WindowFeed Window { get; }

    public DueClock Due { get; }

    public PermitClient Permits { get; }

    public RoomClient Room { get; }

    /// <summary>The activation is stopping: it starts nothing more and waits for its attempts.</summary>
    public bool Draining { get; private set; }

    /// <summary>
    /// Until when the queue starts nothing because a handler's downstream throttled it (null: it is
    /// not backing off). Kept by this activation only: a new owner starts at once, and the next
    /// throttle backs it off again.
    /// </summary>
    public DateTimeOffset? BackoffUntil { get; private set; }

    /// <summary>Whether the queue is backing off now.</summary>
    public bool BackingOff => BackoffUntil > _clock.Now;

    /// <summary>A person paused the queue: it takes jobs but starts none; its running attempts finish.</summary>
    public bool Paused { get; private set; }

    /// <summary>Whether the queue has anything to do: it keeps a reminder and housekeeping while it has.</summary>
    public bool HasWork => Window.Count > 0 || Window.StoreHasMore || Attempts.Count > 0 || Due.NextDue is not null;

    /// <summary>Attempts the queue may start now: its concurrency budget left, within its tenant's permits.</summary>
    public int SlotsFree => Math.Min(ConcurrencyLimit - Attempts.InBudget, Permits.Free(_clock.Now, Attempts.InBudget));

    /// <summary>Jobs the queue could run at once now, were the tenant's permits no object.</summary>
    private int PermitsWanted => Math.Min(ConcurrencyLimit, Attempts.InBudget + Window.Count);

    /// <summary>The commands decided since the last call, in order.</summary>
    public QueueCommand[] TakeCommands()
    {
        CheckInvariants();
        var commands = _commands.ToArray();
        _commands.Clear();
        return commands;
    }

    /// <summary>The activation loaded the queue: <paramref name="nextDue"/> is its earliest scheduled run-at.</summary>
    public void Activate(DateTimeOffset now, DateTimeOffset? nextDue, bool paused = false)
    {
        At(now);
        Paused = paused;
        _bucket = Policy.CreateBucket(_clock);
        Window.MarkStoreHasMore();
        Emit(Due.Start(nextDue));
        Read(force: true);
        Pump();
    }

    /// <summary>A person paused the queue (it starts nothing, and takes jobs still) or resumed it; the store has it.</summary>
    public void PauseChanged(DateTimeOffset now, bool paused)
    {
        At(now);
        Paused = paused;
        Pump();
    }

    /// <summary>A person changed the queue's policy; <paramref name="storeWaiting"/> is the store's count of its waiting jobs.</summary>
    public void PolicyChanged(DateTimeOffset now, EffectiveQueuePolicy policy, long storeWaiting)
    {
        At(now);
        Policy = policy;
        _bucket = policy.CreateBucket(_clock);
        ProtectWith(policy);
        PartitionWith(policy);
        Heads?.MayHaveNew();
        Backlog.PolicyChanged(policy, storeWaiting);
        Pump();
    }

    /// <summary>Someone changed the backlog behind the queue's back (a replay, a dead silo's hand-over): look again.</summary>
    public void Wake(DateTimeOffset now)
    {
        At(now);
        Heads?.MayHaveNew();
        Window.MarkStoreHasMore();
        Emit(Due.Check(now, Window.Capacity));
        Read(force: true);
        Pump();
    }

    /// <summary>The queue's reminder ticked on a live activation: only a nudge.</summary>
    public void Nudge(DateTimeOffset now)
    {
        At(now);
        Heads?.MayHaveNew();
        Read(force: true);
        Pump();
    }

    /// <summary>
    /// The housekeeping tick: renew the tenant's grant so it does not lapse under long jobs, and requeue
    /// attempts whose lease expired, except every attempt this activation holds, however long it has
    /// waited for a worker slot or for its outcome to be written: a requeue would run it twice.
    /// </summary>
    public void Housekeep(DateTimeOffset now)
    {
        At(now);
        if (!Draining)
        {
            Emit(Permits.Sync(now, PermitsWanted, Attempts.InBudget));
        }

        Emit(new RequeueStale(now, Attempts.HeldIds()));
        AgeIfDue(now);
        Read(force: true);
    }

    /// <summary>The activation stops: start nothing more. Says <see cref="Drained"/> once every attempt has ended.</summary>
    public void Deactivate(DateTimeOffset now)
    {
        At(now);
        Draining = true;
        if (Attempts.Count == 0)
        {
            Emit(new Drained());
        }
    }

    /// <summary>Starts as many attempts as the budget allows, and pages in more jobs when the window runs low.</summary>
    private void Pump()
    {
        if (Draining)
        {
            return;
        }

        // A queue with partitions weighs each job's key first; one without takes the window's head.
        var slots = SlotsFree;
        var blocked = Gate is null ? null : new HashSet<string>(StringComparer.Ordinal);
        DateTimeOffset? keyRetryAt = null;
        var picks = Gate is null || !CanStart ? null : PickStartable(Gate, slots, blocked!, out keyRetryAt);
        var free = StartsAllowed(picks?.Count ?? Window.Count);
        if (free > 0)
        {
            var batch = new List<LeaseRequest>(free);
            while (batch.Count < free && TakeNext(picks, batch.Count, out var job))
            {
                Attempts.Begin(job.Id, AttemptPhase.Leasing);
                Breaker?.Began(job.Id);
                BeginInPartition(job);
                batch.Add(new LeaseRequest(job.Id, _settings.Owner, _clock.Now, _settings.LeaseMargin));
            }

            Emit(new LeaseJobs(batch));
        }

        if (picks is not null && free == picks.Count && picks.Count < slots)
        {
            // Slots stay free because keys are blocked (not the rate, the room or the breaker): wake when
            // a rate or break that blocks one ends, and look past the window for other keys.
            if (keyRetryAt is { } at)
            {
                Emit(new ArmPumpTimer(at - _clock.Now));
            }

            ReadPastBlockedKeys(Gate!, blocked!);
        }

        Read(force: false);
        Emit(Permits.SyncIfNeeded(_clock.Now, PermitsWanted, Attempts.InBudget));
    }

    /// <summary>Whether anything may start now, whatever the budget: not paused, backing off or draining.</summary>
    private bool CanStart => !Draining && !Paused && !BackingOff;

    /// <summary>The next job to start: the window's head, or the next of the picks weighed by key.</summary>
    private bool TakeNext(List<ReadyJob>? picks, int taken, out ReadyJob job)
    {
        if (picks is null)
        {
            return Window.TryTakeFirst(out job);
        }

        if (taken >= picks.Count)
        {
            job = default;
            return false;
        }

        job = picks[taken];
        Window.Remove(job.Id);
        return true;
    }

    /// <summary>
    /// How many of <paramref name="startable"/> jobs to lease now: within the budget and permits, the breaker, the rate and
    /// the silo's room. When the room or the rate is what stops it, it makes sure it is pumped again: the room's
    /// grant does that, or the pump timer at the next token.
    /// </summary>
    private int StartsAllowed(int startable)
    {
        var wanted = Math.Min(SlotsFree, startable);
        if (wanted <= 0)
        {
            return 0;
        }

        if (Paused)
        {
            return 0;
        }

        if (BackingOff)
        {
            Emit(new ArmPumpTimer(BackoffUntil!.Value - _clock.Now));
            return 0;
        }

        wanted = AdmitPastBreaker(wanted);
        if (wanted <= 0)
        {
            return 0;
        }

        // The rate before the room: room taken for a job the rate then refuses would only go back,
        // and a queue waiting for room would be handed it again at once, round and round.
        var withinRate = Math.Min(wanted, _bucket?.Available() ?? int.MaxValue);
        var allowed = Room.Take(withinRate);
        _bucket?.TakeUpTo(allowed);
        if (allowed < withinRate)
        {
            Emit(Room.WaitFor(withinRate - allowed));
        }
        else if (withinRate < wanted)
        {
            Emit(new ArmPumpTimer(_bucket!.TimeUntilNextToken()));
        }

        return allowed;
    }

    /// <summary>A due job was stored: into the window unless an attempt holds it (then it is offered when that attempt lets go of it).</summary>
    private void Offer(ReadyJob job)
    {
        if (!KeepUntilReleased(job))
        {
            Window.Offer(job);
        }
    }

    /// <summary>
    /// A due job an attempt of this activation holds joins the window when that attempt lets go of it.
    /// Whatever the phase: a lease in flight may yet be refused (the offer that led to it was stale, a
    /// page read before an earlier lease), and the job, promoted meanwhile, must not be lost then.
    /// </summary>
    /// <returns>Whether an attempt holds the job, so it was kept.</returns>
    private bool KeepUntilReleased(ReadyJob job)
    {
        if (!Attempts.Holds(job.Id))
        {
            return false;
        }

        _offeredWhileHeld[job.Id] = job;
        return true;
    }

    /// <summary>The attempt's lease or insert committed: it owns the job now, and an offer kept for it is stale.</summary>
    private void Started(JobId id)
    {
        Attempts.Run(id);
        _offeredWhileHeld.Remove(id);
    }

    /// <summary>The attempt is over. Returns whether a job waiting for it joined the window.</summary>
    private bool EndAttempt(JobId id)
    {
        var holdsRoom = Attempts.PhaseOf(id) is { } phase && phase != AttemptPhase.Recording;
        if (!Attempts.End(id))
        {
            return false;
        }

        Breaker?.Forget(id);
        Gate?.EndedWithoutRunning(id);

        if (holdsRoom)
        {
            Room.Give(1);
        }

        if (Draining && Attempts.Count == 0)
        {
            Emit(new Drained());
        }

        if (!_offeredWhileHeld.Remove(id, out var job))
        {
            return false;
        }

        Window.Offer(job);
        return true;
    }

    /// <summary>Pages in more due jobs if that is worth it; a draining activation reads nothing more.</summary>
    private void Read(bool force)
    {
        if (!Draining)
        {
            Emit(Window.StartRead(force, Attempts.Leasing));
        }
    }

    /// <summary>What must hold after every event, checked in debug builds; the simulator checks these and more against its model store.</summary>
    [Conditional("DEBUG")]
    private void CheckInvariants()
    {
        var broken =
            Window.Count > Window.Capacity ? $"the window holds {Window.Count}, over its capacity of {Window.Capacity}"
            : Attempts.Leasing > Attempts.InBudget || Attempts.InBudget > Attempts.Count ? $"attempts miscounted: {Attempts.Leasing} leasing, {Attempts.InBudget} in budget, {Attempts.Count} held"
            : _offeredWhileHeld.Keys.Any(id => !Attempts.Holds(id)) ? "a job waits for an attempt that is not held"
            : Due.NextDue is not null && Due.ArmedAt is null && Due.State != DueState.Checking ? "jobs are scheduled but the due timer is not armed"
            : null;
        if (broken is not null)
        {
            throw new InvalidOperationException($"Queue core invariant broken: {broken}.");
        }
    }

    private void At(DateTimeOffset now) => _clock.Now = now;

    private void Emit(QueueCommand? command)
    {
        if (command is not null)
        {
            _commands.Add(command);
        }
    }
}
