using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace OrleansJobs.Diagnostics;

/// <summary>The grid's instruments, on the meter <c>OrleansJobs</c>, tagged by tenant and job type.</summary>
internal sealed class JobsMetrics
{
    /// <summary>The meter's name, for exporters to subscribe to.</summary>
    public const string MeterName = "OrleansJobs";

    private readonly Counter<long> _enqueued;
    private readonly Counter<long> _succeeded;
    private readonly Counter<long> _failed;
    private readonly Counter<long> _retried;
    private readonly Counter<long> _deadLettered;
    private readonly Counter<long> _sentToOtherSilo;
    private readonly Histogram<double> _runTime;
    private readonly Histogram<double> _waitTime;
    private readonly Histogram<double> _commitTime;
    private readonly Histogram<long> _commitRows;
    private readonly Histogram<double> _commitQueueTime;

    public JobsMetrics(IMeterFactory meters, QueueGauges gauges)
    {
        var meter = meters.Create(MeterName);
        _enqueued = meter.CreateCounter<long>("jobs.enqueued", "{job}", "Jobs stored by enqueue.");
        _succeeded = meter.CreateCounter<long>("jobs.succeeded", "{job}", "Attempts that succeeded.");
        _failed = meter.CreateCounter<long>("jobs.failed", "{job}", "Attempts that failed.");
        _retried = meter.CreateCounter<long>("jobs.retried", "{job}", "Failed attempts scheduled to run again.");
        _deadLettered = meter.CreateCounter<long>("jobs.dead_lettered", "{job}", "Jobs moved to the dead-letter queue.");
        _sentToOtherSilo = meter.CreateCounter<long>("jobs.sent_to_other_silo", "{attempt}", "Attempts run on another silo because this one's worker pool was full.");
        _runTime = meter.CreateHistogram<double>("job.run_time", "s", "How long handlers ran.");
        _waitTime = meter.CreateHistogram<double>("job.wait_time", "s", "From enqueue to the start of an attempt.");
        _commitTime = meter.CreateHistogram<double>("store.commit.duration", "s", "How long one group commit took in the store.");
        _commitRows = meter.CreateHistogram<long>("store.commit.rows", "{row}", "Rows written by one group commit.");
        _commitQueueTime = meter.CreateHistogram<double>("store.commit.queue_time", "s", "How long a write waited for its group commit to start.");
        meter.CreateObservableGauge("queue.backlog", () => gauges.Measure(l => l.Backlog), "{job}", "Due jobs waiting for a handler.");
        meter.CreateObservableGauge("queue.scheduled", () => gauges.Measure(l => l.Scheduled), "{job}", "Jobs waiting for their time (delayed, or a retry).");
        meter.CreateObservableGauge("queue.in_flight", () => gauges.Measure(l => l.InFlight), "{job}", "Attempts being leased or run.");
        meter.CreateObservableGauge("queue.dead_letters", () => gauges.Measure(l => l.DeadLettered), "{job}", "Jobs in the dead-letter queue.");
        meter.CreateObservableGauge("queue.oldest_waiting_age", () => gauges.Measure(l => l.OldestWaitingSeconds), "s", "How long the oldest due job has waited.");
        meter.CreateObservableGauge("queue.drain_time", () => gauges.Measure(l => l.DrainSeconds), "s", "Backlog divided by the recent completion rate; +Inf when nothing finishes.");
    }

    public void Enqueued(QueueKey queue, int count) => _enqueued.Add(count, Tags(queue));

    public void Started(QueueKey queue, TimeSpan waited) => _waitTime.Record(waited.TotalSeconds, Tags(queue));

    public void Succeeded(QueueKey queue, TimeSpan ran)
    {
        _succeeded.Add(1, Tags(queue));
        _runTime.Record(ran.TotalSeconds, Tags(queue));
    }

    public void Failed(QueueKey queue, TimeSpan ran)
    {
        _failed.Add(1, Tags(queue));
        _runTime.Record(ran.TotalSeconds, Tags(queue));
    }

    public void SentToOtherSilo(QueueKey queue) => _sentToOtherSilo.Add(1, Tags(queue));

    public void Retried(QueueKey queue) => _retried.Add(1, Tags(queue));

    public void DeadLettered(QueueKey queue) => _deadLettered.Add(1, Tags(queue));

    /// <summary>One group commit: its rows, how long it took, and how long its oldest write had waited for it.</summary>
    public void Committed(int rows, TimeSpan took, TimeSpan oldestWaited)
    {
        _commitRows.Record(rows);
        _commitTime.Record(took.TotalSeconds);
        _commitQueueTime.Record(oldestWaited.TotalSeconds);
    }

    internal static TagList Tags(QueueKey queue) => new() { { "tenant", queue.Tenant }, { "job_type", queue.JobType } };
}
