namespace OrleansJobs.Execution;

/// <summary>Whether an attempt's span is the enqueue span's child, or a new trace linked to it.</summary>
internal static class TraceRelation
{
    /// <summary>
    /// Only a first attempt that starts within <paramref name="window"/> of the enqueue belongs in the
    /// enqueuing request's trace. A retry, or a job that was delayed or waited long, would stretch that
    /// trace over minutes or days; it starts its own and links back.
    /// </summary>
    public static bool IsChild(int attempt, TimeSpan sinceEnqueue, TimeSpan window) => attempt == 1 && sinceEnqueue <= window;
}
