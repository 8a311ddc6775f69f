using OrleansJobs.Execution;
using OrleansJobs.Grains;
using OrleansJobs.Queues.Core;
using OrleansJobs.Storage;

namespace OrleansJobs.Tests.Simulation;

/// <summary>How the simulator carries out the core's commands: each an operation that commits in the model store, then answers.</summary>
internal sealed partial class QueueSimulation
{
    private sealed class Operation(string what, Func<bool>? commit, Action deliver, DateTimeOffset notBefore)
    {
        public string What { get; } = what;

        /// <summary>Applies the operation to the store; false when it must be tried again later (a retried write).</summary>
        public Func<bool>? Commit { get; } = commit;

        public Action Deliver { get; } = deliver;

        public bool Committed { get; set; } = commit is null;

        public DateTimeOffset NotBefore { get; set; } = notBefore;
    }

    private void Submit(string what, Action commit, Action deliver) =>
        _pending.Add(new Operation(what, () => { commit(); return true; }, deliver, _now));

    /// <summary>Moves an operation one phase on: commit it in the store, or answer the core once it is due.</summary>
    private void Advance(Operation operation, bool faults = true)
    {
        var wasFaulty = _faultsOn;
        _faultsOn = faults && _faults;
        try
        {
            if (!operation.Committed)
            {
                if (operation.NotBefore > _now)
                {
                    Tick();
                    return;
                }

                Note("commit ", operation.What);
                operation.Committed = operation.Commit!();
                return;
            }

            if (operation.NotBefore > _now)
            {
                Tick();
                return;
            }

            _pending.Remove(operation);
            operation.Deliver();
        }
        finally
        {
            _faultsOn = wasFaulty;
        }
    }

    private bool _faultsOn;

    /// <summary>Hands the core one event, checks the invariants, and carries out what it decided.</summary>
    private void Event(string what, Action handle)
    {
        Note(what);
        try
        {
            handle();
        }
        catch (SimulationFailure)
        {
            throw;
        }
        catch (Exception ex)
        {
            Fail($"{what} threw {ex.GetType().Name}: {ex.Message}\n{ex.StackTrace}");
        }

        for (var commands = _core.TakeCommands(); commands.Length > 0; commands = _core.TakeCommands())
        {
            foreach (var command in commands)
            {
                Carry(command);
            }
        }

        CheckInvariants();
    }

    private void Carry(QueueCommand command)
    {
        Note("  -> ", command);
        switch (command)
        {
            case ReadPage read:
                IReadOnlyList<ReadyJob>? page = null;
                Submit("read page", () => page = Faulted() ? null : _store.ReadReady(read.After, read.Limit), () =>
                    Event(page is null ? "page read failed" : $"page read: {string.Join(" ", page.Select(j => Short(j.Id)))}", () => { if (page is null) { _core.PageReadFailed(_now); } else { _core.PageRead(_now, read, page); } }));
                break;
            case ReadPartitionHeads heads:
                Note($"     heads after {(heads.AfterKey is null ? "the first key" : $"'{heads.AfterKey}'")}, skipping [{string.Join(",", heads.Skip)}]");
                PartitionHeads? found = null;
                Submit("read partition heads", () => found = Faulted() ? null : _store.ReadPartitionHeads(new PartitionHeadsRequest(new QueueKey("sim", "job"), heads.AfterKey, heads.Skip, heads.Keys, heads.PerKey)), () =>
                    Event(found is null ? "partition heads read failed" : $"partition heads read: {string.Join(" ", found.Jobs.Select(j => $"{Short(j.Id)}/{j.Partition}"))}{(found.Ended ? " (round ended)" : "")}", () => { if (found is null) { _core.PartitionHeadsReadFailed(_now); } else { _core.PartitionHeadsRead(_now, heads, found); } }));
                break;
            case LeaseJobs lease:
                Note("     leasing ", string.Join(" ", lease.Requests.Select(r => $"{Short(r.Id)}{(KeyOf(r.Id) is { } key ? "/" + key : "")}")));
                TakeTokens(lease.Requests.Count);
                CheckKeyedStarts(lease.Requests.Select(r => r.Id));
                NoteProbes(lease);
                LeasedJob?[]? leased = null;
                Submit($"lease {lease.Requests.Count}", () =>
                {
                    if (Faulted())
                    {
                        return;
                    }

                    if (_faultsOn && _random.Next(10) == 0)
                    {
                        // A person cancels one of them first: its lease is refused, and the queue hears of
                        // the cancel later, as the cancel's own call returns.
                        var cancelled = lease.Requests[_random.Next(lease.Requests.Count)].Id;
                        if (_store.Cancel(cancelled))
                        {
                            _pending.Add(new Operation($"cancel {Short(cancelled)} returns", static () => true, () => Event($"cancelled {Short(cancelled)}", () => _core.CancelledInStore(cancelled)), _now));
                        }
                    }

                    leased = [.. lease.Requests.Select(_store.Lease)];
                }, () => Event($"leases answered: {(leased is null ? "failed" : string.Join(" ", lease.Requests.Select((r, i) => $"{Short(r.Id)}{(leased[i] is null ? "x" : "")}")))}", () => { if (leased is null) { _core.LeasesFailed(_now, lease.Requests); } else { _core.LeasesCommitted(_now, lease.Requests, leased); } }));
                break;
            case WaitForRoom wait:
                _room.Wait(wait.Wanted);
                break;
            case RunAttempt run:
                StartHandler(run.Job);
                break;
            case WriteOutcome write:
                WriteOutcome(write);
                break;
            case PromoteDue promote:
                DuePromotion? promotion = null;
                Submit("promote due", () => promotion = Faulted() ? null : _store.PromoteDue(promote.Now, promote.Limit), () =>
                    Event(promotion is null ? "promotion failed" : $"promoted: {string.Join(" ", promotion.Promoted.Select(j => Short(j.Id)))}", () => { if (promotion is null) { _core.PromotionFailed(_now); } else { _core.DuePromoted(_now, promotion); } }));
                break;
            case AgeWaiting age:
                IReadOnlyList<ReadyJob>? aged = null;
                Submit("age waiting", () => aged = Faulted() ? null : _store.Age(age.WaitedSince, age.Limit), () =>
                    Event(aged is null ? "aging failed" : $"aged: {string.Join(" ", aged.Select(j => Short(j.Id)))}", () => { if (aged is null) { _core.AgingFailed(_now); } else { _core.JobsAged(_now, aged); } }));
                break;
            case ArmDueTimer arm:
                _dueTimer = arm.At;
                break;
            case ArmPumpTimer arm:
                // As the shell arms it: the soonest time asked for since it last fired.
                var at = _now + (arm.Delay > TimeSpan.Zero ? arm.Delay : TimeSpan.Zero);
                _pumpTimer = _pumpTimer < at ? _pumpTimer : at;
                break;
            case SyncPermits sync:
                PermitGrant? grant = null;
                Submit("sync permits", () => grant = Faulted() ? null : _permits.Sync(QueueName, sync.Held, sync.Wanted).Grant, () =>
                    Event($"permits answered: {grant}", () => { if (grant is null) { _core.PermitSyncFailed(_now); } else { GrantDelivered(grant); _core.PermitsGranted(_now, grant); } }));
                break;
            case RequeueStale requeue:
                Sweep(requeue);
                break;
            case ReportBreaker { Change.Key: not null } report:
                KeyBreakerReported(report.Change);
                break;
            case ReportBreaker report:
                BreakerReported(report.Change);
                break;
            case StopAttempt stop when _running.ContainsKey(stop.Id):
                _running[stop.Id] = true;
                break;
            case Drained:
                _drained = true;
                break;
        }
    }

    private void StartHandler(LeasedJob job)
    {
        if (!_running.TryAdd(job.Id, false))
        {
            Fail($"job {Short(job.Id)} started while an attempt of it runs in the same activation");
        }

        var roll = _random.NextDouble();
        var duration = TimeSpan.FromMilliseconds(roll < 0.8 ? _random.Next(0, 500) : roll < 0.95 ? _random.Next(0, 3000) : _random.Next(5000, 15000));
        _pending.Add(new Operation($"handler {Short(job.Id)}", null, () =>
        {
            var stop = _running[job.Id];
            _running.Remove(job.Id);
            var outcome = _random.NextDouble();
            Exception? error = stop ? new JobCancelledException("cancelled")
                : OutageError() is { } down ? down
                : outcome < 0.65 ? null
                : outcome < 0.68 ? new SnoozeJobException(TimeSpan.FromMilliseconds(_random.Next(0, 3000)))
                : outcome < 0.70 ? new DownstreamThrottledException(TimeSpan.FromMilliseconds(_random.Next(0, 2000)))
                : outcome < 0.9 ? new TimeoutException("slow") : new InvalidOperationException("poison");
            if (error is DownstreamThrottledException throttled)
            {
                // As the core rounds it: the queue, or the job's key in a queue with partitions, may start nothing before this.
                var until = OrleansJobs.Queues.StoreTime.Ceiling(_now + throttled.RetryAfter);
                if (_policy.Partitions is not null && KeyOf(job.Id) is { } key)
                {
                    _keyBackoffs[key] = _keyBackoffs.GetValueOrDefault(key) > until ? _keyBackoffs[key] : until;
                }
                else
                {
                    _backoffUntil = _backoffUntil > until ? _backoffUntil : until;
                }
            }

            if (error is null)
            {
                _successes[job.Id] = _successes.GetValueOrDefault(job.Id) + 1;
            }

            Event($"handler {Short(job.Id)} ended: {error?.GetType().Name ?? "ok"}", () => _core.AttemptEnded(_now, job, new JobRunResult(error, duration)));
        }, _now + duration));
    }

    private void WriteOutcome(WriteOutcome write)
    {
        var (job, outcome) = (write.Job, write.Outcome);
        CheckHeld(outcome);
        bool? stored = null;
        var failures = 0;
        Operation operation = null!;
        operation = new Operation($"outcome {Short(job.Id)} {outcome.GetType().Name}", () =>
        {
            if (Faulted())
            {
                // The writer retries with backoff; after a while it gives up and the lease expires.
                operation.NotBefore = _now + TimeSpan.FromMilliseconds(200 << failures);
                return ++failures > 4;
            }

            stored = outcome switch
            {
                Succeeded => _store.Finish(job.Id, job.Lease, JobState.Succeeded),
                Retrying r => _store.Finish(job.Id, job.Lease, JobState.Scheduled, r.Write.RunAt),
                Rescheduled z => _store.Reschedule(job.Id, job.Lease, z.Write.RunAt),
                HeldByBreaker h => _store.Reschedule(job.Id, job.Lease, h.Write.RunAt),
                DeadLettered => _store.Finish(job.Id, job.Lease, JobState.Dead),
                _ => _store.Finish(job.Id, job.Lease, JobState.Cancelled),
            };
            return true;
        }, () =>
        {
            if (stored is not { } written)
            {
                _mayRunTwice.Add(job.Id);
                Event($"outcome {Short(job.Id)} abandoned", () => _core.OutcomeAbandoned(_now, job));
                return;
            }

            if (!written)
            {
                Fail($"the outcome of job {Short(job.Id)} attempt {job.Attempt} was refused: its lease was taken within one activation");
            }

            Event($"outcome {Short(job.Id)} stored", () => _core.OutcomeStored(_now, job, outcome, written));
        }, _now);
        _pending.Add(operation);
    }

    /// <summary>A lease sweep: under the rule being tested, it must never requeue an attempt the live activation holds.</summary>
    private void Sweep(RequeueStale requeue)
    {
        IReadOnlyCollection<JobId> except = _sweep switch
        {
            SweepRule.RunningOnly => [.. requeue.Except.Where(id => _core.Attempts.PhaseOf(id) != AttemptPhase.Recording)],
            SweepRule.NothingHeld => [],
            _ => requeue.Except,
        };
        var count = 0;
        var failed = false;
        Submit("sweep", () =>
        {
            if (Faulted())
            {
                failed = true;
                return;
            }

            var stale = _store.Stale(requeue.Before, except);
            if (stale.FirstOrDefault(r => _core.Attempts.Holds(r.Id)) is { } held)
            {
                Fail($"the sweep requeued job {Short(held.Id)} whose attempt the activation holds ({_core.Attempts.PhaseOf(held.Id)})");
            }

            count = _store.Requeue(stale);
        }, () =>
        {
            if (!failed)
            {
                Event($"swept {count}", () => _core.StaleRequeued(_now, count));
            }
        });
    }

    private bool Faulted() => _faultsOn && _random.Next(20) == 0;
}
