using OrleansJobs.Grains;
using OrleansJobs.Hosting;
using OrleansJobs.Policies;
using OrleansJobs.Storage;

namespace OrleansJobs.Queues;

/// <summary>Turns a queue's submissions into the rows to insert, refusing the batch if any is invalid.</summary>
internal static class NewJobRows
{
    public static NewJob[] Build(QueueKey queue, JobSubmission[] jobs, EffectiveQueuePolicy policy, OrleansJobsOptions options, JobIdGenerator ids, DateTimeOffset now)
    {
        JobValidator.ValidateBatch(jobs.Length, jobs.Sum(j => (long)j.Payload.Length), options.Limits);
        var rows = new NewJob[jobs.Length];
        for (var i = 0; i < jobs.Length; i++)
        {
            var (payload, jobOptions) = (jobs[i].Payload, jobs[i].Options);
            try
            {
                JobValidator.ValidatePayload(payload, options.Limits);
                JobValidator.ValidateOptions(jobOptions, now);
                if (jobs[i].Id is { } chosen)
                {
                    JobValidator.ValidateChosenId(chosen, now);
                }
            }
            catch (JobValidationException ex) when (jobs.Length > 1)
            {
                throw new JobValidationException($"jobs[{i}].{ex.Field}", ex.Code, ex.Message);
            }

            // A debounced job waits its window; each enqueue with its key meanwhile starts the wait again.
            var runAt = jobOptions.Dedup == DedupMode.Debounce ? now + jobOptions.DedupWindow!.Value : jobOptions.RunAt ?? now + (jobOptions.Delay ?? TimeSpan.Zero);
            rows[i] = new NewJob(
                jobs[i].Id ?? ids.Next(),
                queue,
                payload,
                jobOptions.Priority,
                now,
                runAt > now ? StoreTime.Ceiling(runAt) : StoreTime.Floor(now),
                jobOptions.MaxAttempts ?? policy.MaxAttempts,
                jobOptions.Timeout ?? policy.Timeout,
                jobOptions.IdempotencyKey,
                jobOptions.IdempotencyKey is null ? null : jobOptions.DedupWindow ?? jobOptions.IdempotencyRetention ?? options.IdempotencyRetention,
                jobs[i].TraceParent,
                PartitionKey: jobOptions.PartitionKey ?? (policy.Partitions is null ? null : ""),
                KeyMode: jobOptions.Dedup);
        }

        return rows;
    }
}
