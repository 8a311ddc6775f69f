using OrleansJobs.Storage;

namespace OrleansJobs.Queues.Core;

/// <summary>
/// What the queue core asks its shell to do, as data. The shell carries each out and reports how it
/// went as the matching event (named on each command), so the core never awaits and never does I/O.
/// </summary>
internal abstract record QueueCommand;

/// <summary>Read up to <paramref name="Limit"/> due jobs in run order, after <paramref name="After"/> (from the top when null). Answer: <see cref="QueueCore.PageRead"/> or <see cref="QueueCore.PageReadFailed"/>.</summary>
internal sealed record ReadPage(ReadyJob? After, int Limit) : QueueCommand;

/// <summary>
/// Read the first <paramref name="PerKey"/> due jobs of up to <paramref name="Keys"/> partition keys after
/// <paramref name="AfterKey"/>, leaving out <paramref name="Skip"/>. Answer: <see cref="QueueCore.PartitionHeadsRead"/>
/// or <see cref="QueueCore.PartitionHeadsReadFailed"/>.
/// </summary>
internal sealed record ReadPartitionHeads(string? AfterKey, IReadOnlyCollection<string> Skip, int Keys, int PerKey) : QueueCommand;

/// <summary>Lease these due jobs for attempts. Answer: <see cref="QueueCore.LeasesCommitted"/> or <see cref="QueueCore.LeasesFailed"/>.</summary>
internal sealed record LeaseJobs(IReadOnlyList<LeaseRequest> Requests) : QueueCommand;

/// <summary>Wait in the silo's line for <paramref name="Wanted"/> units of room to lease jobs in. Answer: <see cref="QueueCore.RoomGranted"/>.</summary>
internal sealed record WaitForRoom(int Wanted) : QueueCommand;

/// <summary>Run the handler for this leased attempt. Answer: <see cref="QueueCore.AttemptEnded"/>.</summary>
internal sealed record RunAttempt(LeasedJob Job) : QueueCommand;

/// <summary>Store how the attempt ended, guarded by its lease, retrying the write while that is safe. Answer: <see cref="QueueCore.OutcomeStored"/> or <see cref="QueueCore.OutcomeAbandoned"/>.</summary>
internal sealed record WriteOutcome(LeasedJob Job, AttemptOutcome Outcome) : QueueCommand;

/// <summary>Move the jobs due at <paramref name="Now"/> from scheduled to enqueued, up to <paramref name="Limit"/>. Answer: <see cref="QueueCore.DuePromoted"/> or <see cref="QueueCore.PromotionFailed"/>.</summary>
internal sealed record PromoteDue(DateTimeOffset Now, int Limit) : QueueCommand;

/// <summary>
/// Move up to <paramref name="Limit"/> of the queue's due jobs below high priority, due since
/// <paramref name="WaitedSince"/> or earlier, up to high. Answer: <see cref="QueueCore.JobsAged"/> or <see cref="QueueCore.AgingFailed"/>.
/// </summary>
internal sealed record AgeWaiting(DateTimeOffset WaitedSince, int Limit) : QueueCommand;

/// <summary>Fire <see cref="QueueCore.DueTimerFired"/> at <paramref name="At"/>; when null, disarm the timer.</summary>
internal sealed record ArmDueTimer(DateTimeOffset? At) : QueueCommand;

/// <summary>
/// Fire <see cref="QueueCore.PumpTimerFired"/> after <paramref name="Delay"/> (the rate limit's next token, a break's end, or a
/// retry), unless it is already armed to fire sooner: an early pump costs nothing, a late one stalls the queue.
/// </summary>
internal sealed record ArmPumpTimer(TimeSpan Delay) : QueueCommand;

/// <summary>Tell the tenant the permits the queue keeps and how many it could use. Answer: <see cref="QueueCore.PermitsGranted"/> or <see cref="QueueCore.PermitSyncFailed"/>.</summary>
internal sealed record SyncPermits(int Held, int Wanted) : QueueCommand;

/// <summary>
/// Return the queue's active jobs whose lease expired before <paramref name="Before"/> to enqueued,
/// except <paramref name="Except"/>: the attempts this activation holds. Answer: <see cref="QueueCore.StaleRequeued"/>.
/// </summary>
internal sealed record RequeueStale(DateTimeOffset Before, IReadOnlyCollection<JobId> Except) : QueueCommand;

/// <summary>Fire the running attempt's cancellation token: a person cancelled its job.</summary>
internal sealed record StopAttempt(JobId Id) : QueueCommand;

/// <summary>Every attempt of the draining activation has ended and its outcome is stored (or given up).</summary>
internal sealed record Drained : QueueCommand;

/// <summary>The queue's circuit breaker moved: tell operators (a log line, a counter).</summary>
internal sealed record ReportBreaker(BreakerChange Change) : QueueCommand;
