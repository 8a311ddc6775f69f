using System.Diagnostics;

namespace OrleansJobs;

/// <summary>
/// The grid's tracing. Enqueueing makes a producer span; each attempt runs inside a consumer span
/// whose parent is the enqueuing span, carried with the job as a W3C traceparent, so a handler's
/// work joins the trace of the request that asked for it. Add the source to your tracer provider:
/// <c>tracing.AddSource(OrleansJobsTelemetry.ActivitySourceName)</c>.
/// </summary>
public static class OrleansJobsTelemetry
{
    /// <summary>The name of the grid's <see cref="ActivitySource"/>.</summary>
    public const string ActivitySourceName = "OrleansJobs";

    internal static readonly ActivitySource Source = new(ActivitySourceName, typeof(OrleansJobsTelemetry).Assembly.GetName().Version?.ToString());

    /// <summary>Starts the span of one enqueue call, or returns null when nobody listens.</summary>
    internal static Activity? StartEnqueue(string tenant, string jobType, int count)
    {
        var activity = Source.StartActivity($"enqueue {jobType}", ActivityKind.Producer);
        activity?.SetTag("messaging.system", "orleansjobs");
        activity?.SetTag("messaging.operation.type", "send");
        activity?.SetTag("orleansjobs.tenant", tenant);
        activity?.SetTag("orleansjobs.job_type", jobType);
        activity?.SetTag("messaging.batch.message_count", count);
        return activity;
    }

    /// <summary>What the job carries of the current trace: the enqueue span, or the caller's own span, or nothing.</summary>
    internal static string? CurrentTraceParent() => Activity.Current is { IdFormat: ActivityIdFormat.W3C } current ? current.Id : null;
}
