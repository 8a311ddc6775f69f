namespace OrleansJobs;

/// <summary>Shorthands for delayed and scheduled enqueues.</summary>
public static class JobClientExtensions
{
    /// <summary>Stores a job that runs no earlier than <paramref name="runAt"/>.</summary>
    public static Task<JobId> EnqueueAtAsync<TPayload>(this IJobClient client, string tenant, string jobType, TPayload payload, DateTimeOffset runAt, EnqueueOptions? options = null, CancellationToken cancellationToken = default) =>
        client.EnqueueAsync(tenant, jobType, payload, (options ?? new EnqueueOptions()) with { RunAt = runAt, Delay = null }, cancellationToken);

    /// <summary>Stores a job that runs no earlier than <paramref name="delay"/> from now.</summary>
    public static Task<JobId> EnqueueAfterAsync<TPayload>(this IJobClient client, string tenant, string jobType, TPayload payload, TimeSpan delay, EnqueueOptions? options = null, CancellationToken cancellationToken = default) =>
        client.EnqueueAsync(tenant, jobType, payload, (options ?? new EnqueueOptions()) with { Delay = delay, RunAt = null }, cancellationToken);
}
