using System.Diagnostics;
using System.Diagnostics.Metrics;
using Orleans.Runtime;

namespace OrleansJobs.Diagnostics;

/// <summary>
/// The grid's instruments, on the meter <c>OrleansJobs</c>, tagged by tenant and job type. Names carry
/// the <c>orleansjobs.</c> namespace and units are declared, so an OpenTelemetry Prometheus exporter
/// and the HTTP API's <c>/metrics</c> both export <c>orleansjobs_jobs_succeeded_total</c>,
/// <c>orleansjobs_queue_drain_time_seconds</c> and so on.
/// </summary>
internal sealed class JobsMetrics
{
    /// <summary>The meter's name, for exporters to subscribe to.</summary>
    public const string MeterName = "OrleansJobs";

    // Job times span milliseconds (a commit, a no-op handler) to an hour (a long import); the exporters' defaults are milliseconds-scale.
    private static readonly InstrumentAdvice<double> Seconds = new() { HistogramBucketBoundaries = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600] };
    private static readonly InstrumentAdvice<long> Rows = new() { HistogramBucketBoundaries = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000] };

    private readonly Counter<long> _enqueued;
    private readonly Counter<long> _succeeded;
    private readonly Counter<long> _failed;
    private readonly Counter<long> _retried;
    private readonly Counter<long> _deadLettered;
    private readonly Counter<long> _snoozed;
    private readonly Counter<long> _throttled;
    private readonly Counter<long> _heldByBreaker;
    private readonly Counter<long> _breakerChanges;
    private readonly Counter<long> _sentToOtherSilo;
    private readonly Histogram<double> _runTime;
    private readonly Histogram<double> _waitTime;
    private readonly Histogram<double> _commitTime;
    private readonly Histogram<long> _commitRows;
    private readonly Histogram<double> _commitQueueTime;
    private readonly QueueTally _tally;

    public JobsMetrics(IMeterFactory meters, QueueGauges gauges, QueueTally tally, IServiceProvider services)
    {
        _tally = tally;
        var meter = meters.Create(MeterName);
        _enqueued = meter.CreateCounter<long>("orleansjobs.jobs.enqueued", "{job}", "Jobs stored by enqueue.");
        _succeeded = meter.CreateCounter<long>("orleansjobs.jobs.succeeded", "{job}", "Attempts that succeeded.");
        _failed = meter.CreateCounter<long>("orleansjobs.jobs.failed", "{job}", "Attempts that failed.");
        _retried = meter.CreateCounter<long>("orleansjobs.jobs.retried", "{job}", "Failed attempts scheduled to run again.");
        _deadLettered = meter.CreateCounter<long>("orleansjobs.jobs.dead_lettered", "{job}", "Jobs moved to the dead-letter queue.");
        _snoozed = meter.CreateCounter<long>("orleansjobs.jobs.snoozed", "{job}", "Attempts whose handler asked to run again later without spending an attempt.");
        _throttled = meter.CreateCounter<long>("orleansjobs.jobs.throttled", "{job}", "Attempts whose downstream throttled them: the job runs again later without spending an attempt and its queue backs off.");
        _heldByBreaker = meter.CreateCounter<long>("orleansjobs.jobs.held_by_breaker", "{job}", "Attempts that failed while their queue's circuit breaker was open: the job waits for the breaker without spending the attempt.");
        _breakerChanges = meter.CreateCounter<long>("orleansjobs.queue.breaker.transitions", "{transition}", "Circuit breaker moves, tagged by the state moved to (open, half_open, closed) and whose breaker it is (scope: queue, or partition for a key's own).");
        _sentToOtherSilo = meter.CreateCounter<long>("orleansjobs.jobs.sent_to_other_silo", "{attempt}", "Attempts run on another silo because this one's worker pool was full.");
        _runTime = meter.CreateHistogram("orleansjobs.job.run_time", "s", "How long handlers ran.", advice: Seconds);
        _waitTime = meter.CreateHistogram("orleansjobs.job.wait_time", "s", "From enqueue to the start of an attempt.", advice: Seconds);
        _commitTime = meter.CreateHistogram("orleansjobs.store.commit.duration", "s", "How long one group commit took in the store.", advice: Seconds);
        _commitRows = meter.CreateHistogram("orleansjobs.store.commit.rows", "{row}", "Rows written by one group commit.", advice: Rows);
        _commitQueueTime = meter.CreateHistogram("orleansjobs.store.commit.queue_time", "s", "How long a write waited for its group commit to start.", advice: Seconds);
        meter.CreateObservableGauge("orleansjobs.queue.backlog", () => gauges.Measure(l => l.Backlog), "{job}", "Due jobs waiting for a handler.");
        meter.CreateObservableGauge("orleansjobs.queue.scheduled", () => gauges.Measure(l => l.Scheduled), "{job}", "Jobs waiting for their time (delayed, or a retry).");
        meter.CreateObservableGauge("orleansjobs.queue.in_flight", () => gauges.Measure(l => l.InFlight), "{job}", "Attempts being leased or run.");
        meter.CreateObservableGauge("orleansjobs.queue.dead_letters", () => gauges.Measure(l => l.DeadLettered), "{job}", "Jobs in the dead-letter queue.");
        meter.CreateObservableGauge("orleansjobs.queue.oldest_waiting_age", () => gauges.Measure(l => l.OldestWaitingSeconds), "s", "How long the oldest due job has waited.");
        meter.CreateObservableGauge("orleansjobs.cluster.active_silos", () => ActiveSilos(services), "{silo}", "Silos this silo sees as active cluster members.");
        meter.CreateObservableGauge("orleansjobs.silo.room.in_use", () => Room(services, r => r.InUse), "{attempt}", "Attempts this silo's queues hold leased or running, against its room (worker slots, lease-ahead, other silos' free slots).");
        meter.CreateObservableGauge("orleansjobs.silo.room.waiting_queues", () => Room(services, r => r.Waiting), "{queue}", "Queues on this silo waiting for room to lease their next jobs.");
        meter.CreateObservableGauge("orleansjobs.queue.concurrency_limit", () => gauges.Measure(l => l.ConcurrencyLimit), "{attempt}", "Most attempts the queue runs at once now: its max concurrency, or the lower limit adaptive concurrency set.");
        meter.CreateObservableGauge("orleansjobs.queue.breaker.state", () => gauges.Measure(l => l.BreakerState), "{state}", "The queue's circuit breaker: 0 closed (or none), 1 open, 2 half-open.");
        meter.CreateObservableGauge("orleansjobs.queue.drain_time", () => gauges.Measure(l => l.DrainSeconds), "s", "Backlog divided by the recent completion rate; +Inf when nothing finishes.");
    }

    public void Enqueued(QueueKey queue, int count)
    {
        _enqueued.Add(count, Tags(queue));
        _tally.Enqueued(queue, count);
    }

    public void Started(QueueKey queue, TimeSpan waited) => _waitTime.Record(waited.TotalSeconds, Tags(queue));

    public void Succeeded(QueueKey queue, TimeSpan ran)
    {
        _succeeded.Add(1, Tags(queue));
        _tally.Succeeded(queue);
        _runTime.Record(ran.TotalSeconds, Tags(queue));
    }

    public void Failed(QueueKey queue, TimeSpan ran)
    {
        _failed.Add(1, Tags(queue));
        _tally.Failed(queue);
        _runTime.Record(ran.TotalSeconds, Tags(queue));
    }

    public void SentToOtherSilo(QueueKey queue) => _sentToOtherSilo.Add(1, Tags(queue));

    public void Retried(QueueKey queue) => _retried.Add(1, Tags(queue));

    public void DeadLettered(QueueKey queue)
    {
        _deadLettered.Add(1, Tags(queue));
        _tally.DeadLettered(queue);
    }

    public void Snoozed(QueueKey queue) => _snoozed.Add(1, Tags(queue));

    public void Throttled(QueueKey queue) => _throttled.Add(1, Tags(queue));

    public void HeldByBreaker(QueueKey queue) => _heldByBreaker.Add(1, Tags(queue));

    public void BreakerMoved(QueueKey queue, BreakerState state, bool ofKey)
    {
        var tags = Tags(queue);
        tags.Add("state", state switch { BreakerState.Open => "open", BreakerState.HalfOpen => "half_open", _ => "closed" });
        tags.Add("scope", ofKey ? "partition" : "queue");
        _breakerChanges.Add(1, tags);
    }

    /// <summary>One group commit: its line, its rows, how long it took, and how long its oldest write had waited for it.</summary>
    public void Committed(Storage.WriteLine kind, int rows, TimeSpan took, TimeSpan oldestWaited)
    {
        var line = new KeyValuePair<string, object?>("line", kind switch { Storage.WriteLine.Express => "express", Storage.WriteLine.Bulk => "bulk", _ => "main" });
        _commitRows.Record(rows, line);
        _commitTime.Record(took.TotalSeconds, line);
        _commitQueueTime.Record(oldestWaited.TotalSeconds, line);
    }

    /// <summary>Read at collection time: membership is a silo service, absent where the instruments are used alone.</summary>
    private static IEnumerable<Measurement<int>> ActiveSilos(IServiceProvider services)
    {
        if (services.GetService(typeof(IClusterMembershipService)) is IClusterMembershipService membership)
        {
            yield return new Measurement<int>(membership.CurrentSnapshot.Members.Values.Count(m => m.Status == SiloStatus.Active));
        }
    }

    /// <summary>Read at collection time, like <see cref="ActiveSilos"/>: the room exists only in a silo.</summary>
    private static IEnumerable<Measurement<int>> Room(IServiceProvider services, Func<Execution.WorkerRoom, int> read)
    {
        if (services.GetService(typeof(Execution.WorkerRoom)) is Execution.WorkerRoom room)
        {
            yield return new Measurement<int>(read(room));
        }
    }

    internal static TagList Tags(QueueKey queue) => new() { { "tenant", queue.Tenant }, { "job_type", queue.JobType } };
}
