namespace OrleansJobs;

/// <summary>
/// What an enqueue stored. <see cref="Created"/> is false when the job's idempotency key named a job
/// stored earlier (and not yet past its retention): then <see cref="Id"/> is that job's, nothing new
/// was stored, and this request's payload and options were not used.
/// </summary>
/// <param name="Id">The job's id.</param>
/// <param name="Created">True for a new job; false when the idempotency key answered with an earlier one.</param>
[GenerateSerializer, Immutable]
public sealed record EnqueueReceipt([property: Id(0)] JobId Id, [property: Id(1)] bool Created);
