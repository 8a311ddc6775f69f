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
    private readonly Histogram<double> _runTime;
    private readonly Histogram<double> _waitTime;

    public JobsMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _enqueued = meter.CreateCounter<long>("orleansjobs.jobs.enqueued", "{job}", "Jobs stored by enqueue.");
        _succeeded = meter.CreateCounter<long>("orleansjobs.jobs.succeeded", "{job}", "Attempts that succeeded.");
        _failed = meter.CreateCounter<long>("orleansjobs.jobs.failed", "{job}", "Attempts that failed.");
        _retried = meter.CreateCounter<long>("orleansjobs.jobs.retried", "{job}", "Failed attempts scheduled to run again.");
        _deadLettered = meter.CreateCounter<long>("orleansjobs.jobs.dead_lettered", "{job}", "Jobs moved to the dead-letter queue.");
        _runTime = meter.CreateHistogram<double>("orleansjobs.job.run_time", "s", "How long handlers ran.");
        _waitTime = meter.CreateHistogram<double>("orleansjobs.job.wait_time", "s", "From enqueue to the start of an attempt.");
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

    public void Retried(QueueKey queue) => _retried.Add(1, Tags(queue));

    public void DeadLettered(QueueKey queue) => _deadLettered.Add(1, Tags(queue));

    private static TagList Tags(QueueKey queue) => new() { { "tenant", queue.Tenant }, { "job_type", queue.JobType } };
}
