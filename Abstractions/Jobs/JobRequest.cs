namespace OrleansJobs;

/// <summary>One job of a bulk enqueue: its queue, its payload as UTF-8 JSON, and its options.</summary>
/// <param name="Tenant">The tenant that owns the job.</param>
/// <param name="JobType">The registered job type name.</param>
/// <param name="Payload">The payload as UTF-8 JSON.</param>
/// <param name="Options">Per-job settings, or null for the defaults.</param>
public sealed record JobRequest(string Tenant, string JobType, ReadOnlyMemory<byte> Payload, EnqueueOptions? Options = null);

/// <summary>
/// What a queue grain receives for one job: already serialized and checked at the edge, with the
/// W3C traceparent of the enqueuing span (if any) so the handler's span joins that trace.
/// <see cref="Id"/> is the id the client chose so that sending the same submission again (after a
/// timeout, or a silo that left) stores nothing new and answers with the job already stored; the
/// queue makes one when it is null.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record JobSubmission(
    [property: Id(0)] byte[] Payload,
    [property: Id(1)] EnqueueOptions Options,
    [property: Id(2)] string? TraceParent = null,
    [property: Id(3)] JobId? Id = null);
