using System.Diagnostics;

namespace OrleansJobs;

/// <summary>
/// The grid's tracing, in OpenTelemetry's messaging conventions (<c>messaging.system</c> =
/// <c>orleansjobs</c>, the queue <c>{tenant}/{job type}</c> as <c>messaging.destination.name</c>, the
/// job id as <c>messaging.message.id</c>). Enqueueing makes a producer span (<c>send {queue}</c>), an
/// error span when the enqueue fails; each attempt runs inside a consumer span (<c>process {queue}</c>).
/// The enqueue span travels with the job as a W3C traceparent: a first attempt that starts soon after
/// the enqueue is its child, later work (delays, retries) starts a trace of its own linked to it. Add
/// the source to your tracer provider: <c>tracing.AddSource(OrleansJobsTelemetry.ActivitySourceName)</c>.
/// </summary>
public static class OrleansJobsTelemetry
{
    /// <summary>The name of the grid's <see cref="ActivitySource"/>.</summary>
    public const string ActivitySourceName = "OrleansJobs";

    internal static readonly ActivitySource Source = new(ActivitySourceName, typeof(OrleansJobsTelemetry).Assembly.GetName().Version?.ToString());

    /// <summary>The messaging system every span names.</summary>
    internal const string MessagingSystem = "orleansjobs";

    /// <summary>Starts the span of one enqueue call, or returns null when nobody listens.</summary>
    internal static Activity? StartEnqueue(string tenant, string jobType, int count)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        var queue = $"{tenant}/{jobType}";
        var activity = Source.StartActivity($"send {queue}", ActivityKind.Producer);
        if (activity is null)
        {
            return null;
        }

        activity.SetTag("messaging.system", MessagingSystem);
        activity.SetTag("messaging.operation.type", "send");
        activity.SetTag("messaging.operation.name", "enqueue");
        activity.SetTag("messaging.destination.name", queue);
        activity.SetTag("orleansjobs.tenant", tenant);
        activity.SetTag("orleansjobs.job_type", jobType);
        if (count > 1)
        {
            activity.SetTag("messaging.batch.message_count", count);
        }

        return activity;
    }

    /// <summary>Marks the enqueue span failed: nothing was stored, or the caller cannot know that it was.</summary>
    internal static void EnqueueFailed(Activity? activity, Exception error)
    {
        if (activity is null)
        {
            return;
        }

        activity.SetStatus(ActivityStatusCode.Error, error.Message);
        activity.SetTag("error.type", error.GetType().FullName);
        activity.AddException(error);
    }

    /// <summary>What the job carries of the current trace: the enqueue span, or the caller's own span, or nothing.</summary>
    internal static string? CurrentTraceParent() => Activity.Current is { IdFormat: ActivityIdFormat.W3C } current ? current.Id : null;
}
