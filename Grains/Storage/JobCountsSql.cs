namespace OrleansJobs.Storage;

/// <summary>
/// Reading a queue's levels from the <c>job_counts</c> table (kept by triggers on <c>jobs</c>, see
/// migration 7) and its oldest due job from the ready index; shared by the SQL stores.
/// </summary>
internal static class JobCountsSql
{
    /// <summary>
    /// The earliest run-at of the queue's enqueued jobs, with <c>@tenant</c> and <c>@type</c> bound. The
    /// ready index orders by priority first, so a plain <c>MIN(run_at)</c> would walk the whole
    /// backlog; one probe per priority reads a single index entry each. A queue whose counts hold no
    /// enqueued job skips the probes: right after a drain the index head is its finished jobs' dead
    /// entries until vacuum removes them, and probing them took tens of milliseconds a call.
    /// </summary>
    public static readonly string OldestEnqueuedRunAt =
        "SELECT MIN(run_at) FROM ("
        + string.Join(
            " UNION ALL ",
            Enum.GetValues<JobPriority>().Select(p =>
                $"SELECT (SELECT run_at FROM jobs WHERE tenant = @tenant AND job_type = @type AND state = 1 AND priority = {(int)p} ORDER BY run_at LIMIT 1) AS run_at"))
        + ") AS firsts"
        + $" WHERE (SELECT COALESCE(SUM(n), 0) FROM job_counts WHERE tenant = @tenant AND job_type = @type AND state = {(int)JobState.Enqueued}) > 0";

    /// <summary>Builds the counts from (state, jobs) pairs; states without a pair count zero.</summary>
    public static QueueCounts ToCounts(IEnumerable<(JobState State, long Jobs)> byState, DateTimeOffset? oldestEnqueuedRunAt)
    {
        var counts = new long[Enum.GetValues<JobState>().Length];
        foreach (var (state, jobs) in byState)
        {
            counts[(int)state] += jobs;
        }

        return new QueueCounts(
            counts[(int)JobState.Scheduled],
            counts[(int)JobState.Enqueued],
            counts[(int)JobState.Active],
            counts[(int)JobState.Succeeded],
            counts[(int)JobState.Dead],
            oldestEnqueuedRunAt);
    }
}
