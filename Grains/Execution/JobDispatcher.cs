using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OrleansJobs.Diagnostics;
using OrleansJobs.Handlers;
using OrleansJobs.Hosting;
using OrleansJobs.Storage;

namespace OrleansJobs.Execution;

/// <summary>
/// Decides where each attempt runs, so one hot queue can use more than the silo its grain lives on.
/// An attempt runs on this silo while its worker pool has a free slot. When the pool is full, it
/// joins the shortest line: it goes to the live silo with the most free slots (fewest attempts
/// running and waiting, for silos of one size), if that is more than this silo has; otherwise it
/// waits here in fair order. Sending to a silo whose slots are all busy is allowed as long as its
/// line is shorter, so that silo always has the next attempt at hand and never idles while a
/// report and a new lease travel. A silo's free slots come with every outcome it reports; this silo
/// counts what it sent since. A silo it has nothing running on and has not heard from for a second
/// is assumed as free as a fresh one of this size, so it gets probed again.
/// <para>
/// A remote outcome comes back as data through the sender's <see cref="IJobRunnerService"/>; the
/// queue grain records it under the attempt's lease, as it would a local one. An attempt whose silo
/// is declared dead, or that never reports by its timeout plus grace, ends as lost (retryable), and
/// the fenced lease makes a late report from that silo harmless.
/// </para>
/// </summary>
internal sealed partial class JobDispatcher(
    JobExecutor executor,
    JobTypeRegistry registry,
    IJobRunnerClient runners,
    IClusterMembershipService membership,
    ILocalSiloDetails local,
    JobsMetrics metrics,
    IOptions<OrleansJobsOptions> options,
    TimeProvider time,
    ILogger<JobDispatcher> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    /// <summary>How long after its timeout and abandon grace a remote attempt may still report.</summary>
    private static readonly TimeSpan ReportGrace = TimeSpan.FromSeconds(30);

    /// <summary>How long the last report of a silo this silo has nothing running on is trusted.</summary>
    private static readonly TimeSpan ReportFreshFor = TimeSpan.FromSeconds(1);

    private static readonly int ReportTries = 3;

    private readonly OrleansJobsOptions _options = options.Value;
    private readonly Lock _lock = new();
    private readonly Dictionary<(JobId, long), Sent> _sent = [];
    private readonly Dictionary<SiloAddress, Capacity> _capacity = [];
    private readonly ConcurrentDictionary<(JobId, long), CancellationTokenSource> _accepted = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _acceptedDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _watching = Task.CompletedTask;

    /// <summary>Attempts other silos sent here that have not reported yet.</summary>
    private int _acceptedRunning;

    /// <summary>Runs the attempt here or on another silo and returns how it ended. Never throws for the handler's errors.</summary>
    public Task<JobRunResult> RunAsync(LeasedJob job, JobTypeRegistration type, CancellationToken cancel)
    {
        var free = executor.FreeSlots;
        return free > 0 || PickRemote(free) is not { } silo
            ? executor.RunAsync(job, type, cancel)
            : RunRemoteAsync(job, type, silo, cancel);
    }

    /// <summary>Takes in an attempt another silo sent; runs it in this silo's pool and reports back.</summary>
    public void Accept(RemoteRun run)
    {
        Interlocked.Increment(ref _acceptedRunning);
        var cancel = new CancellationTokenSource();
        _accepted[(run.Id, run.Lease)] = cancel;
        _ = Task.Run(() => RunAcceptedAsync(run, cancel));
    }

    /// <summary>An attempt this silo sent away ended; wakes whoever awaits it.</summary>
    public void Complete(RemoteOutcome outcome)
    {
        Sent? sent;
        lock (_lock)
        {
            var capacity = CapacityOf(outcome.Silo);
            capacity.ReportedFree = outcome.FreeSlots;
            capacity.ReportedAt = time.GetTimestamp();
            capacity.SentSinceReport = 0;
            _sent.TryGetValue((outcome.Id, outcome.Lease), out sent);
        }

        sent?.Result.TrySetResult(outcome.ToResult());
    }

    /// <summary>Cancels an attempt another silo sent here, if it still runs.</summary>
    public void CancelAccepted(JobId id, long lease)
    {
        if (_accepted.TryGetValue((id, lease), out var cancel))
        {
            try
            {
                cancel.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // It ended meanwhile.
            }
        }
    }

    public void Participate(ISiloLifecycle lifecycle)
    {
        lifecycle.Subscribe(
            nameof(JobDispatcher),
            ServiceLifecycleStage.Active,
            _ =>
            {
                _watching = Task.Run(() => WatchMembershipAsync(_stopping.Token));
                return Task.CompletedTask;
            },
            async ct =>
            {
                _stopping.Cancel();
                await _watching.WaitAsync(ct).ContinueWith(static _ => { }, TaskScheduler.Default);
            });

        // By this stage of a stop the silo has told the cluster it is shutting down, so no silo sends it
        // more; those it took in still finish and report, as its own queues' do, so a deploy does not
        // rerun them. Messaging is still up here.
        lifecycle.Subscribe(
            nameof(JobDispatcher),
            ServiceLifecycleStage.ApplicationServices,
            _ => Task.CompletedTask,
            async ct =>
            {
                if (Volatile.Read(ref _acceptedRunning) > 0)
                {
                    await _acceptedDone.Task.WaitAsync(_options.ShutdownDrainTimeout, time, ct).ContinueWith(static _ => { }, TaskScheduler.Default);
                }
            });
    }

    private async Task<JobRunResult> RunRemoteAsync(LeasedJob job, JobTypeRegistration type, SiloAddress silo, CancellationToken cancel)
    {
        var sent = new Sent(silo, Stopwatch.GetTimestamp());
        lock (_lock)
        {
            _sent[(job.Id, job.Lease)] = sent;
            CapacityOf(silo).InFlight++;
        }

        try
        {
            try
            {
                await runners.On(silo).StartAsync(RemoteRun.From(job, local.SiloAddress));
            }
            catch (Exception ex)
            {
                // Nothing runs there: run it here, and send that silo nothing for a while.
                LogSendFailed(ex, job.Id, job.Queue.Tenant, job.Queue.JobType, job.Attempt, silo.ToString());
                lock (_lock)
                {
                    CapacityOf(silo).AvoidUntil = time.GetTimestamp() + (long)(ReportFreshFor.TotalSeconds * time.TimestampFrequency);
                }

                return await executor.RunAsync(job, type, cancel);
            }

            metrics.SentToOtherSilo(job.Queue);
            LogSent(job.Id, job.Queue.Tenant, job.Queue.JobType, job.Attempt, silo.ToString());
            using var deadline = new CancellationTokenSource(job.Timeout + _options.AbandonGrace + ReportGrace, time);
            await using var onDeadline = deadline.Token.Register(() => sent.Lose("never reported back"));
            await using var onCancel = cancel.Register(() => _ = ForwardCancelAsync(silo, job));
            return await sent.Result.Task;
        }
        finally
        {
            lock (_lock)
            {
                _sent.Remove((job.Id, job.Lease));
                CapacityOf(silo).InFlight--;
            }
        }
    }

    /// <summary>The worker slots other live silos have free, as far as this silo knows: room its queues may lease for.</summary>
    public int RemoteFreeSlots()
    {
        lock (_lock)
        {
            return OtherSilos(time.GetTimestamp()).Sum(other => Math.Max(0, other.Free));
        }
    }

    /// <summary>The live silo with more free slots than <paramref name="localFree"/>, the most of all; null when none has.</summary>
    private SiloAddress? PickRemote(int localFree)
    {
        var now = time.GetTimestamp();
        SiloAddress? best = null;
        var bestFree = localFree;
        lock (_lock)
        {
            foreach (var (silo, free) in OtherSilos(now))
            {
                if (free > bestFree)
                {
                    (best, bestFree) = (silo, free);
                }
            }

            if (best is not null)
            {
                CapacityOf(best).SentSinceReport++;
            }
        }

        return best;
    }

    /// <summary>The other live silos this one may send attempts to now (none it just failed to reach), with their free slots. Under the lock.</summary>
    private IEnumerable<(SiloAddress Silo, int Free)> OtherSilos(long now)
    {
        foreach (var member in membership.CurrentSnapshot.Members.Values)
        {
            if (member.Status == SiloStatus.Active && !member.SiloAddress.Equals(local.SiloAddress) && now >= CapacityOf(member.SiloAddress).AvoidUntil)
            {
                yield return (member.SiloAddress, FreeOn(member.SiloAddress, now));
            }
        }
    }

    /// <summary>The free slots of another silo: its last report less what was sent since, or a fresh silo's when the report is stale. Under the lock.</summary>
    private int FreeOn(SiloAddress silo, long now)
    {
        var capacity = CapacityOf(silo);

        // With attempts running there, a report is on its way; with none, nothing will come.
        var known = capacity.ReportedAt != 0
            && (capacity.InFlight > 0 || time.GetElapsedTime(capacity.ReportedAt, now) < ReportFreshFor);
        return known
            ? capacity.ReportedFree - capacity.SentSinceReport
            : _options.MaxConcurrentJobsPerSilo - capacity.InFlight;
    }

    private Capacity CapacityOf(SiloAddress silo)
    {
        if (!_capacity.TryGetValue(silo, out var capacity))
        {
            _capacity[silo] = capacity = new Capacity();
        }

        return capacity;
    }

    private async Task ForwardCancelAsync(SiloAddress silo, LeasedJob job)
    {
        try
        {
            await runners.On(silo).CancelAsync(job.Id, job.Lease);
        }
        catch (Exception ex)
        {
            LogCancelForwardFailed(ex, job.Id, job.Queue.Tenant, job.Queue.JobType, silo.ToString());
        }
    }

    private async Task RunAcceptedAsync(RemoteRun run, CancellationTokenSource cancel)
    {
        try
        {
            await RunAndReportAsync(run, cancel);
        }
        finally
        {
            if (Interlocked.Decrement(ref _acceptedRunning) == 0 && _stopping.IsCancellationRequested)
            {
                _acceptedDone.TrySetResult();
            }
        }
    }

    private async Task RunAndReportAsync(RemoteRun run, CancellationTokenSource cancel)
    {
        JobRunResult result;
        JobTypeRegistration? type = null;
        try
        {
            result = registry.TryGet(run.JobType, out type)
                ? await executor.RunAsync(run.ToLeasedJob(), type, cancel.Token)
                : new JobRunResult(new UnknownJobTypeException(run.JobType), TimeSpan.Zero);
        }
        finally
        {
            _accepted.TryRemove((run.Id, run.Lease), out _);
            cancel.Dispose();
        }

        var outcome = RemoteOutcome.From(run, result, type, local.SiloAddress, executor.FreeSlots);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await runners.On(run.ReplyTo).ReportAsync(outcome);
                return;
            }
            catch (Exception) when (attempt < ReportTries)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), time);
            }
            catch (Exception ex)
            {
                // The sender counts the attempt lost when its silo is declared dead or its deadline passes.
                LogReportFailed(ex, run.Id, run.Tenant, run.JobType, run.Attempt, run.ReplyTo.ToString());
                return;
            }
        }
    }

    private async Task WatchMembershipAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var snapshot in membership.MembershipUpdates.WithCancellation(cancellationToken))
            {
                List<Sent> lost;
                lock (_lock)
                {
                    lost = _sent.Values.Where(s => IsDead(snapshot, s.Silo)).ToList();
                    foreach (var silo in _capacity.Keys.Where(s => IsDead(snapshot, s) && _capacity[s].InFlight == 0).ToList())
                    {
                        _capacity.Remove(silo);
                    }
                }

                foreach (var sent in lost)
                {
                    sent.Lose("was declared dead");
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private static bool IsDead(ClusterMembershipSnapshot snapshot, SiloAddress silo) =>
        snapshot.Members.TryGetValue(silo, out var member) && member.Status == SiloStatus.Dead;

    /// <summary>An attempt sent to <see cref="Silo"/>, awaiting its outcome.</summary>
    private sealed class Sent(SiloAddress silo, long startedAt)
    {
        public SiloAddress Silo { get; } = silo;

        public TaskCompletionSource<JobRunResult> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Lose(string why) => Result.TrySetResult(new JobRunResult(
            new JobRunnerLostException($"The attempt ran on silo {Silo}, which {why}; its outcome is unknown."),
            Stopwatch.GetElapsedTime(startedAt),
            Silo.ToString()));
    }

    /// <summary>What this silo knows of another's free slots.</summary>
    private sealed class Capacity
    {
        public int ReportedFree { get; set; }

        /// <summary>The <see cref="TimeProvider"/> timestamp of the last report, 0 before the first.</summary>
        public long ReportedAt { get; set; }

        public int SentSinceReport { get; set; }

        public int InFlight { get; set; }

        /// <summary>The timestamp before which nothing is sent there: a send just failed.</summary>
        public long AvoidUntil { get; set; }
    }

    [LoggerMessage(EventId = (int)LogEvents.AttemptSentToSilo, Level = LogLevel.Debug, Message = "Job {JobId} ({Tenant}/{JobType}) attempt {Attempt} runs on silo {Silo}: this silo's worker pool is full")]
    private partial void LogSent(JobId jobId, string tenant, string jobType, int attempt, string silo);

    [LoggerMessage(EventId = (int)LogEvents.AttemptSendFailed, Level = LogLevel.Warning, Message = "Job {JobId} ({Tenant}/{JobType}) attempt {Attempt} could not be handed to silo {Silo}; it runs here")]
    private partial void LogSendFailed(Exception exception, JobId jobId, string tenant, string jobType, int attempt, string silo);

    [LoggerMessage(EventId = (int)LogEvents.AttemptReportFailed, Level = LogLevel.Warning, Message = "Job {JobId} ({Tenant}/{JobType}) attempt {Attempt} ended, but silo {Silo} that sent it could not be told")]
    private partial void LogReportFailed(Exception exception, JobId jobId, string tenant, string jobType, int attempt, string silo);

    [LoggerMessage(EventId = (int)LogEvents.AttemptCancelForwardFailed, Level = LogLevel.Warning, Message = "Job {JobId} ({Tenant}/{JobType}): the cancel could not reach silo {Silo}, where it runs")]
    private partial void LogCancelForwardFailed(Exception exception, JobId jobId, string tenant, string jobType, string silo);
}
