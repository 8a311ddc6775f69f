using System.Diagnostics;
using Microsoft.Extensions.Options;
using OrleansJobs.Handlers;
using OrleansJobs.Hosting;
using OrleansJobs.Storage;

namespace OrleansJobs.Execution;

/// <summary>A silo's handler slots: <paramref name="Slots"/> in all, <paramref name="Running"/> taken, <paramref name="Waiting"/> attempts waiting for one, <paramref name="EndedPerSecond"/> recently.</summary>
internal readonly record struct ExecutorLoad(int Slots, int Running, int Waiting, double EndedPerSecond);

/// <summary>
/// How one attempt ended: <see cref="Error"/> is null on success; <see cref="StartedAt"/> is when its
/// handler started (null when it never did); <see cref="Silo"/> names where it ran when not here.
/// </summary>
internal readonly record struct JobRunResult(Exception? Error, TimeSpan Duration, string? Silo = null, DateTimeOffset? StartedAt = null);

/// <summary>
/// Runs handlers on the thread pool, never on a grain's scheduler, at most
/// <see cref="OrleansJobsOptions.MaxConcurrentJobsPerSilo"/> at once on this silo. When every slot
/// is busy, waiting attempts get slots by deficit round robin across their queues, weighted by
/// tenant (<see cref="OrleansJobsOptions.TenantWeights"/>), so one flooded queue cannot take the
/// silo from the others. A handler's token fires at the job's timeout; one that ignores it is
/// abandoned after the grace period.
/// </summary>
internal sealed class JobExecutor(IServiceProvider services, IOptions<OrleansJobsOptions> options, TimeProvider time)
{
    private readonly OrleansJobsOptions _options = options.Value;
    private readonly Lock _lock = new();
    private readonly FairScheduler<QueueKey, TaskCompletionSource> _waiting = new();
    private readonly Policies.ThroughputMeter _ended = new(time);
    private int _running;

    /// <summary>Slots no attempt holds or waits for: negative when attempts queue for them.</summary>
    public int FreeSlots
    {
        get
        {
            lock (_lock)
            {
                return _options.MaxConcurrentJobsPerSilo - _running - _waiting.Count;
            }
        }
    }

    /// <summary>The silo's handler slots now: how many, how many run, how many attempts wait for one, and attempts ended per second over the last ten seconds.</summary>
    public ExecutorLoad Load
    {
        get
        {
            lock (_lock)
            {
                return new ExecutorLoad(_options.MaxConcurrentJobsPerSilo, _running, _waiting.Count, _ended.PerSecond());
            }
        }
    }

    /// <summary>
    /// Runs one attempt. The handler's token fires at the job's timeout or when <paramref name="cancel"/>
    /// fires; a handler still running <see cref="OrleansJobsOptions.AbandonGrace"/> after that is abandoned.
    /// </summary>
    public async Task<JobRunResult> RunAsync(LeasedJob job, JobTypeRegistration type, CancellationToken cancel)
    {
        await AcquireSlotAsync(job.Queue).ConfigureAwait(false);
        var started = Stopwatch.GetTimestamp();
        var startedAt = time.GetUtcNow();
        try
        {
            using var timeout = new CancellationTokenSource(job.Timeout, time);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancel);
            using var abandon = new CancellationTokenSource(job.Timeout + _options.AbandonGrace, time);
            await using var onCancel = cancel.Register(() => abandon.CancelAfter(_options.AbandonGrace));
            var context = new JobContext(job.Id, job.Queue.Tenant, job.Queue.JobType, job.Attempt, job.MaxAttempts, job.CreatedAt, stop.Token);
            using var activity = StartRunActivity(job);
            var run = Task.Run(() => type.Invoke(services, job.Payload, context, _options.JsonSerializerOptions));
            try
            {
                await run.WaitAsync(abandon.Token).ConfigureAwait(false);
                return new JobRunResult(null, Stopwatch.GetElapsedTime(started), StartedAt: startedAt);
            }
            catch (OperationCanceledException) when (!run.IsCompleted)
            {
                Exception abandoned = cancel.IsCancellationRequested
                    ? new JobCancelledException($"Cancelled; the handler ignored the request and was abandoned after {_options.AbandonGrace}.")
                    : new JobTimeoutException($"Abandoned: the handler ran {job.Timeout} and ignored cancellation for {_options.AbandonGrace} more.");
                return Failed(activity, abandoned, started, startedAt);
            }
            catch (OperationCanceledException) when (cancel.IsCancellationRequested)
            {
                return Failed(activity, new JobCancelledException("Cancelled; the handler stopped."), started, startedAt);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested)
            {
                return Failed(activity, new JobTimeoutException($"Timed out after {job.Timeout}."), started, startedAt);
            }
            catch (Exception ex)
            {
                return Failed(activity, ex, started, startedAt);
            }
        }
        finally
        {
            ReleaseSlot();
        }
    }

    private static JobRunResult Failed(Activity? activity, Exception error, long started, DateTimeOffset startedAt)
    {
        activity?.SetStatus(ActivityStatusCode.Error, error.Message);
        activity?.AddException(error);
        return new JobRunResult(error, Stopwatch.GetElapsedTime(started), StartedAt: startedAt);
    }

    /// <summary>
    /// The attempt's span; the handler runs inside it. It continues the enqueue span's trace as its
    /// child when this is a first attempt starting soon after the enqueue; later work starts a trace
    /// of its own linked to the enqueue span (<see cref="OrleansJobsOptions.TraceAsChildWithin"/>).
    /// </summary>
    private Activity? StartRunActivity(LeasedJob job)
    {
        if (!OrleansJobsTelemetry.Source.HasListeners())
        {
            return null;
        }

        var queue = job.Queue.ToString();
        var fromEnqueue = ActivityContext.TryParse(job.TraceParent, null, isRemote: true, out var enqueue);
        var child = fromEnqueue && TraceRelation.IsChild(job.Attempt, time.GetUtcNow() - job.CreatedAt, _options.TraceAsChildWithin);
        var linked = fromEnqueue && !child;

        // A linked attempt is the root of its own trace: nothing ambient may become its parent.
        var ambient = Activity.Current;
        if (linked)
        {
            Activity.Current = null;
        }

        var activity = OrleansJobsTelemetry.Source.StartActivity(
            $"process {queue}", ActivityKind.Consumer, child ? enqueue : default, links: linked ? [new ActivityLink(enqueue)] : null);
        if (activity is null)
        {
            Activity.Current = ambient;
            return null;
        }

        activity.SetTag("messaging.system", OrleansJobsTelemetry.MessagingSystem);
        activity.SetTag("messaging.operation.type", "process");
        activity.SetTag("messaging.operation.name", "run");
        activity.SetTag("messaging.destination.name", queue);
        activity.SetTag("messaging.message.id", job.Id.ToString());
        activity.SetTag("orleansjobs.tenant", job.Queue.Tenant);
        activity.SetTag("orleansjobs.job_type", job.Queue.JobType);
        activity.SetTag("orleansjobs.job_id", job.Id.ToString());
        activity.SetTag("orleansjobs.attempt", job.Attempt);
        return activity;
    }

    private Task AcquireSlotAsync(QueueKey queue)
    {
        lock (_lock)
        {
            if (_running < _options.MaxConcurrentJobsPerSilo && _waiting.Count == 0)
            {
                _running++;
                return Task.CompletedTask;
            }

            var slot = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiting.Enqueue(queue, _options.TenantWeights.TryGetValue(queue.Tenant, out var weight) ? weight : 1, slot);
            return slot.Task;
        }
    }

    /// <summary>Hands the freed slot straight to the next waiting attempt in fair order, if any.</summary>
    private void ReleaseSlot()
    {
        TaskCompletionSource? next;
        lock (_lock)
        {
            _ended.Record();
            if (!_waiting.TryDequeue(out next))
            {
                _running--;
            }
        }

        next?.TrySetResult();
    }
}
