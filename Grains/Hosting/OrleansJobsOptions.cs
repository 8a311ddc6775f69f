using OrleansJobs.Policies;

namespace OrleansJobs.Hosting;

/// <summary>Silo-wide settings of the job grid. Per-type settings are on <see cref="JobTypeOptions"/>.</summary>
public sealed class OrleansJobsOptions
{
    /// <summary>Payload and batch size limits, checked again on arrival at the silo. <value>Defaults to <see cref="JobLimits.Default"/>.</value></summary>
    public JobLimits Limits { get; set; } = JobLimits.Default;

    /// <summary>Attempts per job unless its type or the job says otherwise. <value>Defaults to 5.</value></summary>
    public int DefaultMaxAttempts { get; set; } = 5;

    /// <summary>How long one attempt may run before its cancellation token fires. <value>Defaults to 5 minutes.</value></summary>
    public TimeSpan DefaultTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Handlers one queue runs at once unless its type says otherwise. <value>Defaults to 16.</value></summary>
    public int DefaultMaxConcurrency { get; set; } = 16;

    /// <summary>Retry backoff unless the type says otherwise.</summary>
    public RetryPolicy DefaultRetry { get; set; } = new();

    /// <summary>
    /// Handlers the silo runs at once across all queues, its own and those other silos hand it. When
    /// they are all taken, a new attempt runs on the live silo with the most free slots, if any, so set
    /// it to what one silo can really run (about twice its cores for CPU-bound handlers).
    /// <value>Defaults to 256.</value>
    /// </summary>
    public int MaxConcurrentJobsPerSilo { get; set; } = 256;

    /// <summary>
    /// Attempts the silo's queues may lease beyond its free worker slots, so slots do not idle while
    /// leases are written. A queue leases a job only when there is room for it (the silo's slots, this
    /// many more, and the slots other silos have free); otherwise it waits its turn, fairly across
    /// queues, instead of leasing jobs that would only wait for a slot.
    /// <value>Defaults to 64.</value>
    /// </summary>
    public int LeaseAhead { get; set; } = 64;

    /// <summary>
    /// Each tenant's share of the silo's handler slots when they are all busy: a tenant of weight 3 gets
    /// three turns for every one of a tenant of weight 1, per active queue. Weights are at least 1.
    /// <value>Defaults to 1 for every tenant.</value>
    /// </summary>
    public IDictionary<string, double> TenantWeights { get; set; } = new Dictionary<string, double>();

    /// <summary>
    /// Most of one tenant's jobs running at once across all its queues and the cluster, unless the
    /// tenant's own policy says otherwise; null for no cap. <value>Defaults to null.</value>
    /// </summary>
    public int? DefaultTenantMaxInFlight { get; set; }

    /// <summary>Due jobs a queue keeps in memory; more are paged from the store as it drains. <value>Defaults to 512.</value></summary>
    public int WindowSize { get; set; } = 512;

    /// <summary>Most rows in one group commit. <value>Defaults to 1000.</value></summary>
    public int MaxWriteBatchRows { get; set; } = 1000;

    /// <summary>
    /// Rows that must be waiting before a group commit starts beside one already in flight. Fewer
    /// wait for that flush to end and join the next batch, so a busy queue's single writes form
    /// batches instead of paying one transaction each. A quiet queue's write of fewer rows (its writes
    /// lately at least 10 ms apart on average, at most one other committing, none on the main or bulk
    /// line) does not wait: it takes the express line beside the flushes in flight. A write of this
    /// many rows or more takes the bulk line (<see cref="MaxBulkWritesInFlight"/>).
    /// <value>Defaults to 100.</value>
    /// </summary>
    public int ParallelWriteMinRows { get; set; } = 100;

    /// <summary>
    /// Most group commits of bulk writes (a call's <see cref="ParallelWriteMinRows"/> rows or more, as
    /// a bulk enqueue or a lease of a large page sends) in flight at once per silo. The database
    /// spends its CPU on them, so more at once add no throughput: they only make every other write, a
    /// quiet queue's included, wait for its share. Raise it for a database with many more cores than
    /// the silos have.
    /// <value>Defaults to 1.</value>
    /// </summary>
    public int MaxBulkWritesInFlight { get; set; } = 1;

    /// <summary>How long an idempotency key keeps answering with its first job. <value>Defaults to 24 hours.</value></summary>
    public TimeSpan IdempotencyRetention { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// How long past its timeout an attempt whose handler ignores cancellation is waited for before
    /// it is abandoned and counted as failed. <value>Defaults to 10 seconds.</value>
    /// </summary>
    public TimeSpan AbandonGrace { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a stopping silo waits for running handlers to finish. <value>Defaults to 30 seconds.</value></summary>
    public TimeSpan ShutdownDrainTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How often a busy queue checks for expired leases. A queue's first check comes after a random 0.5 to 1.5
    /// intervals, so queues that got busy together do not check in step. <value>Defaults to 10 seconds.</value>
    /// </summary>
    public TimeSpan HousekeepingInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How late a recurring job's occurrence may fire and still count as on time (a silo died, the
    /// store was down). Older ones are missed and follow the schedule's <see cref="MisfirePolicy"/>.
    /// <value>Defaults to 2 minutes.</value>
    /// </summary>
    public TimeSpan ScheduleMisfireGrace { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// The shortest time between two checks of one queue for delayed jobs and retries that fell due. A
    /// steady stream of retries would otherwise cost a promotion, a next-due read and a page read each;
    /// with this gap each check promotes what fell due meanwhile. A due job may start up to this much
    /// late while its queue is busy with due work; on a quiet queue it starts on time.
    /// <value>Defaults to 200 ms.</value>
    /// </summary>
    public TimeSpan MinDueCheckInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// How long succeeded jobs are kept after they finish; then the retention sweep deletes them (and
    /// their error records), and their status reads as unknown. Null keeps them. <value>Defaults to 24 hours.</value>
    /// </summary>
    public TimeSpan? SucceededRetention { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How long cancelled (and shed) jobs are kept after they end. Null keeps them. <value>Defaults to 7 days.</value></summary>
    public TimeSpan? CancelledRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How long dead-lettered jobs are kept. Null keeps them until a person replays them. <value>Defaults to null.</value></summary>
    public TimeSpan? DeadLetterRetention { get; set; }

    /// <summary>How often the cluster's one retention sweep runs (an Orleans reminder, so at least a minute). <value>Defaults to 5 minutes.</value></summary>
    public TimeSpan RetentionSweepInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How often each silo adds what it counted to the queues' per-minute history (the overview's charts)
    /// and samples the levels of the queues it owns: one batched write per silo per interval.
    /// <value>Defaults to 10 seconds.</value>
    /// </summary>
    public TimeSpan HistorySampleInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long the queues' per-minute history is kept; the retention sweep deletes older minutes. <value>Defaults to 48 hours.</value></summary>
    public TimeSpan HistoryRetention { get; set; } = TimeSpan.FromHours(48);

    /// <summary>
    /// How long a due job should wait at most before it starts, unless its type says otherwise
    /// (<see cref="JobTypeOptions.WaitObjective"/>): queues whose oldest due job waited longer are listed first,
    /// as missing their objective, on the overview page. <value>Defaults to 1 minute.</value>
    /// </summary>
    public TimeSpan WaitObjective { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// The first attempt of a job that starts within this long of its enqueue runs in a span that is a
    /// child of the enqueue span, inside the trace of the request that asked for it. A delayed job, a
    /// retry, a recurring occurrence or a job that waited longer starts a trace of its own with a link
    /// to the enqueue span, so a request's trace does not stretch over hours of later work.
    /// <value>Defaults to 1 minute.</value>
    /// </summary>
    public TimeSpan TraceAsChildWithin { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How payloads become handler payload objects. <value>Defaults to <see cref="System.Text.Json.JsonSerializerDefaults.Web"/>.</value></summary>
    public System.Text.Json.JsonSerializerOptions JsonSerializerOptions { get; set; } = new(System.Text.Json.JsonSerializerDefaults.Web);

    internal void Validate()
    {
        if (DefaultMaxAttempts is < 1 or > JobValidator.MaxAttemptsLimit || DefaultMaxConcurrency < 1 || MaxConcurrentJobsPerSilo < 1
            || WindowSize < 2 || MaxWriteBatchRows < 1 || ParallelWriteMinRows < 1 || MaxBulkWritesInFlight < 1 || DefaultTimeout <= TimeSpan.Zero || Limits.MaxPayloadBytes < 1
            || ScheduleMisfireGrace < TimeSpan.Zero)
        {
            throw new ArgumentException("OrleansJobsOptions: attempts must be 1-100 and every size, count and timeout above zero (window at least 2).");
        }

        if (TenantWeights.Any(w => !(w.Value >= 1) || double.IsInfinity(w.Value)))
        {
            throw new ArgumentException("OrleansJobsOptions.TenantWeights: every weight must be a finite number of at least 1.");
        }

        if (LeaseAhead < 0)
        {
            throw new ArgumentException("OrleansJobsOptions.LeaseAhead must be zero or more.");
        }

        if (DefaultTenantMaxInFlight is < 1)
        {
            throw new ArgumentException("OrleansJobsOptions.DefaultTenantMaxInFlight must be at least 1 when set.");
        }

        if (TraceAsChildWithin < TimeSpan.Zero)
        {
            throw new ArgumentException("OrleansJobsOptions.TraceAsChildWithin must not be negative.");
        }

        if (MinDueCheckInterval < TimeSpan.Zero || MinDueCheckInterval > TimeSpan.FromMinutes(1))
        {
            throw new ArgumentException("OrleansJobsOptions.MinDueCheckInterval must be between zero and one minute.");
        }

        if (SucceededRetention < TimeSpan.Zero || CancelledRetention < TimeSpan.Zero || DeadLetterRetention < TimeSpan.Zero
            || RetentionSweepInterval < TimeSpan.FromMinutes(1))
        {
            throw new ArgumentException("OrleansJobsOptions: retentions cannot be negative, and the retention sweep runs at most once a minute.");
        }

        if (HistorySampleInterval < TimeSpan.FromSeconds(1) || HistorySampleInterval > TimeSpan.FromMinutes(1))
        {
            throw new ArgumentException("OrleansJobsOptions.HistorySampleInterval must be between one second and one minute.");
        }

        if (HistoryRetention < TimeSpan.FromHours(1))
        {
            throw new ArgumentException("OrleansJobsOptions.HistoryRetention must be at least an hour (the overview shows the last hour).");
        }

        if (WaitObjective <= TimeSpan.Zero)
        {
            throw new ArgumentException("OrleansJobsOptions.WaitObjective must be above zero.");
        }

        DefaultRetry.Validate();
    }
}

/// <summary>Settings of one job type, applied to each of its queues. Unset values fall back to <see cref="OrleansJobsOptions"/>.</summary>
public sealed class JobTypeOptions
{
    /// <summary>Attempts per job unless the job says otherwise.</summary>
    public int? MaxAttempts { get; set; }

    /// <summary>Handlers one queue of this type runs at once.</summary>
    public int? MaxConcurrency { get; set; }

    /// <summary>How long one attempt may run unless the job says otherwise.</summary>
    public TimeSpan? Timeout { get; set; }

    /// <summary>Retry backoff.</summary>
    public RetryPolicy? Retry { get; set; }

    /// <summary>Most jobs a queue of this type starts per second; null for no limit. Queues may override it at run time.</summary>
    public double? RatePerSecond { get; set; }

    /// <summary>Jobs that may start back to back under <see cref="RatePerSecond"/>. <value>Defaults to the rate rounded up.</value></summary>
    public int? Burst { get; set; }

    /// <summary>Most jobs a queue of this type holds waiting; null for unbounded. Queues may override it at run time.</summary>
    public long? MaxBacklog { get; set; }

    /// <summary>What a full queue of this type does with one more job. <value>Defaults to <see cref="OverflowPolicy.Reject"/>.</value></summary>
    public OverflowPolicy? Overflow { get; set; }

    /// <summary>Lets each queue's in-flight limit adapt to how its downstream copes, under <see cref="MaxConcurrency"/>. Null: off. Queues may override it at run time.</summary>
    public AdaptiveConcurrencyPolicy? AdaptiveConcurrency { get; set; }

    /// <summary>Stops a queue starting attempts while most of them fail. Null: none. Queues may override it at run time.</summary>
    public CircuitBreakerPolicy? CircuitBreaker { get; set; }

    /// <summary>Limits per partition key inside each queue of this type. Null: none. Queues may override it at run time.</summary>
    public PartitionPolicy? Partitions { get; set; }

    /// <summary>How long a due job of normal or low priority waits before it moves up to high. Null: never. Queues may override it at run time.</summary>
    public TimeSpan? PriorityAging { get; set; }

    /// <summary>How long a due job of this type should wait at most before it starts (see <see cref="OrleansJobsOptions.WaitObjective"/>).</summary>
    public TimeSpan? WaitObjective { get; set; }

    /// <summary>
    /// Exception types (and their subtypes) that send a job straight to the dead-letter queue.
    /// <see cref="NonRetryableJobException"/> and payloads that do not deserialize always do.
    /// </summary>
    public IList<Type> NonRetryableExceptions { get; } = [];
}
