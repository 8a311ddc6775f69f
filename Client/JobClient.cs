using System.Text.Json;
using Microsoft.Extensions.Options;
using OrleansJobs.Grains;

namespace OrleansJobs;

internal sealed class JobClient(IGrainFactory grains, IOptions<JobClientOptions> options, TimeProvider time) : IJobClient
{
    private const int MaxPageSize = 1000;
    private readonly JobClientOptions _options = options.Value;
    private readonly JobIdGenerator _ids = new(time);
    private readonly EnqueueRetry _retry = new(options.Value, time);

    public async Task<JobId> EnqueueAsync<TPayload>(string tenant, string jobType, TPayload payload, EnqueueOptions? options = null, CancellationToken cancellationToken = default) =>
        (await EnqueueWithReceiptAsync(tenant, jobType, payload, options, cancellationToken)).Id;

    public async Task<IReadOnlyList<JobId>> EnqueueManyAsync(IReadOnlyList<JobRequest> jobs, CancellationToken cancellationToken = default) =>
        [.. (await EnqueueManyWithReceiptsAsync(jobs, cancellationToken)).Select(receipt => receipt.Id)];

    public Task<EnqueueReceipt> EnqueueWithReceiptAsync<TPayload>(string tenant, string jobType, TPayload payload, EnqueueOptions? options = null, CancellationToken cancellationToken = default) =>
        EnqueueOneAsync(tenant, jobType, JsonSerializer.SerializeToUtf8Bytes(payload, _options.JsonSerializerOptions), options, cancellationToken);

    public Task<EnqueueReceipt> EnqueueWithReceiptAsync(JobRequest job, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        return EnqueueOneAsync(job.Tenant, job.JobType, job.Payload.ToArray(), job.Options, cancellationToken);
    }

    private async Task<EnqueueReceipt> EnqueueOneAsync(string tenant, string jobType, byte[] bytes, EnqueueOptions? options, CancellationToken cancellationToken)
    {
        var jobOptions = options ?? new EnqueueOptions();
        JobValidator.Validate(tenant, jobType, bytes, jobOptions, _options.Limits, time.GetUtcNow());
        using var activity = OrleansJobsTelemetry.StartEnqueue(tenant, jobType, 1);
        try
        {
            var submission = new JobSubmission(bytes, jobOptions, OrleansJobsTelemetry.CurrentTraceParent(), _ids.Next());
            var receipts = await SendAsync(Queue(tenant, jobType), [submission], cancellationToken);
            activity?.SetTag("messaging.message.id", receipts[0].Id.ToString());
            activity?.SetTag("orleansjobs.job_id", receipts[0].Id.ToString());
            return receipts[0];
        }
        catch (Exception ex)
        {
            OrleansJobsTelemetry.EnqueueFailed(activity, ex);
            throw;
        }
    }

    public async Task<IReadOnlyList<EnqueueReceipt>> EnqueueManyWithReceiptsAsync(IReadOnlyList<JobRequest> jobs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        JobValidator.ValidateBatch(jobs.Count, jobs.Sum(j => (long)j.Payload.Length), _options.Limits);

        var now = time.GetUtcNow();
        var byQueue = new Dictionary<QueueKey, List<int>>();
        for (var i = 0; i < jobs.Count; i++)
        {
            var job = jobs[i];
            try
            {
                JobValidator.Validate(job.Tenant, job.JobType, job.Payload.Span, job.Options ?? new EnqueueOptions(), _options.Limits, now);
            }
            catch (JobValidationException ex)
            {
                throw new JobValidationException($"jobs[{i}].{ex.Field}", ex.Code, ex.Message);
            }

            var key = new QueueKey(job.Tenant, job.JobType);
            if (!byQueue.TryGetValue(key, out var indexes))
            {
                byQueue[key] = indexes = [];
            }

            indexes.Add(i);
        }

        var results = new EnqueueReceipt[jobs.Count];
        await Task.WhenAll(byQueue.Select(async pair =>
        {
            // One producer span per queue: its jobs' handler spans become its children.
            using var activity = OrleansJobsTelemetry.StartEnqueue(pair.Key.Tenant, pair.Key.JobType, pair.Value.Count);
            var traceParent = OrleansJobsTelemetry.CurrentTraceParent();
            var submissions = pair.Value.Select(i => new JobSubmission(jobs[i].Payload.ToArray(), jobs[i].Options ?? new EnqueueOptions(), traceParent, _ids.Next())).ToArray();
            try
            {
                var receipts = await SendAsync(Queue(pair.Key.Tenant, pair.Key.JobType), submissions, cancellationToken);
                for (var n = 0; n < receipts.Length; n++)
                {
                    results[pair.Value[n]] = receipts[n];
                }
            }
            catch (Exception ex)
            {
                OrleansJobsTelemetry.EnqueueFailed(activity, ex);
                throw;
            }
        })).WaitAsync(cancellationToken);
        return results;
    }

    /// <summary>
    /// Sends the submissions, again after a transient failure (<see cref="EnqueueRetry"/>). A receipt
    /// naming the id this client chose is this call's own job, stored by this try or an earlier one;
    /// only an idempotency key naming an earlier job answers with another id and created false.
    /// </summary>
    private async Task<EnqueueReceipt[]> SendAsync(IQueueGrain queue, JobSubmission[] submissions, CancellationToken cancellationToken)
    {
        var receipts = await _retry.RunAsync(() => queue.EnqueueAsync(submissions), [.. submissions.Select(s => s.Id!.Value)], cancellationToken);
        for (var i = 0; i < receipts.Length; i++)
        {
            if (receipts[i].Id == submissions[i].Id)
            {
                receipts[i] = receipts[i] with { Created = true };
            }
        }

        return receipts;
    }

    public Task<JobInfo?> GetStatusAsync(string tenant, JobId id, CancellationToken cancellationToken = default)
    {
        JobValidator.ValidateName(tenant, "tenant");
        return Admin.GetJobAsync(tenant, id).WaitAsync(cancellationToken);
    }

    public Task<bool> CancelAsync(string tenant, JobId id, CancellationToken cancellationToken = default)
    {
        JobValidator.ValidateName(tenant, "tenant");
        return Admin.CancelAsync(tenant, id).WaitAsync(cancellationToken);
    }

    public Task<DeadLetterPage> ListDeadLettersAsync(string tenant, DeadLetterFilter? filter = null, int pageSize = 100, JobId? cursor = null, CancellationToken cancellationToken = default)
    {
        JobValidator.ValidateName(tenant, "tenant");
        ValidateFilter(filter);
        if (pageSize < 1 || pageSize > MaxPageSize)
        {
            throw new JobValidationException("pageSize", "out_of_range", $"must be between 1 and {MaxPageSize}.");
        }

        return Admin.ListDeadLettersAsync(tenant, filter ?? new DeadLetterFilter(), pageSize, cursor).WaitAsync(cancellationToken);
    }

    public Task<DeadLetteredJob?> GetDeadLetterAsync(string tenant, JobId id, CancellationToken cancellationToken = default)
    {
        JobValidator.ValidateName(tenant, "tenant");
        return Admin.GetDeadLetterAsync(tenant, id).WaitAsync(cancellationToken);
    }

    public Task<bool> ReplayAsync(string tenant, JobId id, CancellationToken cancellationToken = default)
    {
        JobValidator.ValidateName(tenant, "tenant");
        return Admin.ReplayAsync(tenant, id).WaitAsync(cancellationToken);
    }

    public Task<int> ReplayAsync(string tenant, DeadLetterFilter filter, int limit = 1000, CancellationToken cancellationToken = default)
    {
        JobValidator.ValidateName(tenant, "tenant");
        ArgumentNullException.ThrowIfNull(filter);
        ValidateFilter(filter);
        if (limit < 1 || limit > 100_000)
        {
            throw new JobValidationException("limit", "out_of_range", "must be between 1 and 100000.");
        }

        return Admin.ReplayAsync(tenant, filter, limit).WaitAsync(cancellationToken);
    }

    public Task<QueueStats> GetQueueStatsAsync(string tenant, string jobType, CancellationToken cancellationToken = default)
    {
        JobValidator.ValidateName(tenant, "tenant");
        JobValidator.ValidateName(jobType, "jobType");
        return Queue(tenant, jobType).GetStatsAsync().WaitAsync(cancellationToken);
    }

    public Task<QueueStats> PauseQueueAsync(string tenant, string jobType, CancellationToken cancellationToken = default) =>
        SetPausedAsync(tenant, jobType, paused: true, cancellationToken);

    public Task<QueueStats> ResumeQueueAsync(string tenant, string jobType, CancellationToken cancellationToken = default) =>
        SetPausedAsync(tenant, jobType, paused: false, cancellationToken);

    private Task<QueueStats> SetPausedAsync(string tenant, string jobType, bool paused, CancellationToken cancellationToken)
    {
        JobValidator.ValidateName(tenant, "tenant");
        JobValidator.ValidateName(jobType, "jobType");
        return Queue(tenant, jobType).SetPausedAsync(paused).WaitAsync(cancellationToken);
    }

    public Task<QueuePolicy> GetQueuePolicyAsync(string tenant, string jobType, CancellationToken cancellationToken = default)
    {
        JobValidator.ValidateName(tenant, "tenant");
        JobValidator.ValidateName(jobType, "jobType");
        return Queue(tenant, jobType).GetPolicyAsync().WaitAsync(cancellationToken);
    }

    public Task<QueuePolicy> SetQueuePolicyAsync(string tenant, string jobType, QueuePolicy policyOverride, CancellationToken cancellationToken = default)
    {
        JobValidator.ValidateName(tenant, "tenant");
        JobValidator.ValidateName(jobType, "jobType");
        JobValidator.ValidatePolicy(policyOverride);
        return Queue(tenant, jobType).SetPolicyAsync(policyOverride).WaitAsync(cancellationToken);
    }

    public Task<ScheduleInfo> UpsertScheduleAsync(RecurringJob schedule, CancellationToken cancellationToken = default)
    {
        JobValidator.ValidateSchedule(schedule, _options.Limits, time.GetUtcNow());
        return Schedule(schedule.Tenant, schedule.Id).UpsertAsync(schedule).WaitAsync(cancellationToken);
    }

    public Task<ScheduleInfo?> GetScheduleAsync(string tenant, string scheduleId, CancellationToken cancellationToken = default)
    {
        JobValidator.ValidateName(tenant, "tenant");
        JobValidator.ValidateName(scheduleId, "scheduleId");
        return Schedule(tenant, scheduleId).GetAsync().WaitAsync(cancellationToken);
    }

    public Task<SchedulePage> ListSchedulesAsync(string tenant, int pageSize = 100, string? cursor = null, CancellationToken cancellationToken = default)
    {
        JobValidator.ValidateName(tenant, "tenant");
        if (pageSize < 1 || pageSize > 1000)
        {
            throw new JobValidationException("pageSize", "out_of_range", "must be between 1 and 1000.");
        }

        if (cursor is not null)
        {
            JobValidator.ValidateName(cursor, "cursor");
        }

        return Admin.ListSchedulesAsync(tenant, pageSize, cursor).WaitAsync(cancellationToken);
    }

    public Task<ScheduleInfo?> PauseScheduleAsync(string tenant, string scheduleId, CancellationToken cancellationToken = default) =>
        SetSchedulePausedAsync(tenant, scheduleId, true, cancellationToken);

    public Task<ScheduleInfo?> ResumeScheduleAsync(string tenant, string scheduleId, CancellationToken cancellationToken = default) =>
        SetSchedulePausedAsync(tenant, scheduleId, false, cancellationToken);

    public Task<bool> DeleteScheduleAsync(string tenant, string scheduleId, CancellationToken cancellationToken = default)
    {
        JobValidator.ValidateName(tenant, "tenant");
        JobValidator.ValidateName(scheduleId, "scheduleId");
        return Schedule(tenant, scheduleId).DeleteAsync().WaitAsync(cancellationToken);
    }

    public Task<TenantPolicy> GetTenantPolicyAsync(string tenant, CancellationToken cancellationToken = default)
    {
        JobValidator.ValidateName(tenant, "tenant");
        return grains.GetGrain<ITenantGrain>(tenant).GetPolicyAsync().WaitAsync(cancellationToken);
    }

    public Task<TenantPolicy> SetTenantPolicyAsync(string tenant, TenantPolicy policyOverride, CancellationToken cancellationToken = default)
    {
        JobValidator.ValidateName(tenant, "tenant");
        JobValidator.ValidateTenantPolicy(policyOverride);
        return grains.GetGrain<ITenantGrain>(tenant).SetPolicyAsync(policyOverride).WaitAsync(cancellationToken);
    }

    public Task<TenantStatus> PauseTenantAsync(string tenant, CancellationToken cancellationToken = default) => SetTenantPausedAsync(tenant, true, cancellationToken);

    public Task<TenantStatus> ResumeTenantAsync(string tenant, CancellationToken cancellationToken = default) => SetTenantPausedAsync(tenant, false, cancellationToken);

    public Task<TenantStatus> GetTenantStatusAsync(string tenant, CancellationToken cancellationToken = default)
    {
        JobValidator.ValidateName(tenant, "tenant");
        return grains.GetGrain<ITenantGrain>(tenant).GetStatusAsync().WaitAsync(cancellationToken);
    }

    private Task<ScheduleInfo?> SetSchedulePausedAsync(string tenant, string scheduleId, bool paused, CancellationToken cancellationToken)
    {
        JobValidator.ValidateName(tenant, "tenant");
        JobValidator.ValidateName(scheduleId, "scheduleId");
        return Schedule(tenant, scheduleId).SetPausedAsync(paused).WaitAsync(cancellationToken);
    }

    private Task<TenantStatus> SetTenantPausedAsync(string tenant, bool paused, CancellationToken cancellationToken)
    {
        JobValidator.ValidateName(tenant, "tenant");
        return grains.GetGrain<ITenantGrain>(tenant).SetPausedAsync(paused).WaitAsync(cancellationToken);
    }

    private static void ValidateFilter(DeadLetterFilter? filter)
    {
        if (filter?.JobType is { } type)
        {
            JobValidator.ValidateName(type, "filter.jobType");
        }

        if (filter?.ErrorContains is { Length: > 1000 })
        {
            throw new JobValidationException("filter.errorContains", "too_long", "must be at most 1000 characters.");
        }
    }

    private IScheduleGrain Schedule(string tenant, string scheduleId) => grains.GetGrain<IScheduleGrain>($"{tenant}/{scheduleId}");

    private IQueueGrain Queue(string tenant, string jobType) => grains.GetGrain<IQueueGrain>(new QueueKey(tenant, jobType).ToString());

    private IJobAdminGrain Admin => grains.GetGrain<IJobAdminGrain>(0);
}
