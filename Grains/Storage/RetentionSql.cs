namespace OrleansJobs.Storage;

/// <summary>
/// Retention's reads, shared by the SQL stores. Each page walks one scope along its state's partial
/// index: a queue's succeeded or cancelled jobs along <c>ix_jobs_finished</c>, a tenant's dead letters
/// along <c>ix_jobs_dead</c>, so a sweep never steps over the rows of other states it keeps (dead
/// letters, long-delayed jobs), however many there are. The states are literals, not parameters, so
/// the planner can prove the partial index's predicate from the query whatever the plan.
/// </summary>
internal static class RetentionSql
{
    /// <summary>The scopes holding jobs in <paramref name="state"/>: queues for succeeded and cancelled, tenants (job type "") for dead.</summary>
    public static string Scopes(JobState state) => state == JobState.Dead
        ? "SELECT tenant, '' FROM job_counts WHERE state = 5 GROUP BY tenant HAVING SUM(n) > 0 ORDER BY tenant"
        : $"SELECT tenant, job_type FROM job_counts WHERE state = {Literal(state)} GROUP BY tenant, job_type HAVING SUM(n) > 0 ORDER BY tenant, job_type";

    /// <summary>
    /// The ids a page of <paramref name="scope"/> deletes: after <c>@after</c> and made before <c>@below</c>,
    /// finished before <c>@before</c>, up to <c>@limit</c> in id order, binding <c>@tenant</c> (and <c>@type</c>)
    /// through <paramref name="add"/>.
    /// </summary>
    /// <remarks>
    /// The id window's lower end is written twice. As part of a row-value bound over the index's columns, which
    /// only that index can use as a scan condition, it makes PostgreSQL price the primary key (which serves the
    /// id order once tenant and job type are fixed) as the walk it is; on the id alone, it is where SQLite starts
    /// its index range (it uses no row-value bound for that). With equalities and an id range alone, PostgreSQL
    /// ordered by the primary key whenever other queues' finished rows made this scope's look dense (measured:
    /// 1 223 buffers for five rows among 100 000, against 4 along the index); with row-value bounds alone it
    /// walked the whole tenant in the index, since a row bound stops a btree scan only on its first column.
    /// </remarks>
    public static string Doomed(QueueKey scope, JobState state, Action<string, object> add)
    {
        add("@tenant", scope.Tenant);
        if (state == JobState.Dead)
        {
            return "SELECT id FROM jobs WHERE tenant = @tenant AND (tenant, id) > (@tenant, @after) AND id > @after AND id < @below "
                + "AND state = 5 AND finished_at < @before ORDER BY tenant, id LIMIT @limit";
        }

        add("@type", scope.JobType);
        return "SELECT id FROM jobs WHERE tenant = @tenant AND job_type = @type AND (tenant, job_type, id) > (@tenant, @type, @after) AND id > @after AND id < @below "
            + $"AND state IN (3, 4) AND state = {Literal(state)} AND finished_at < @before ORDER BY tenant, job_type, id LIMIT @limit";
    }

    private static int Literal(JobState state) => state switch
    {
        JobState.Succeeded or JobState.Cancelled => (int)state,
        _ => throw new ArgumentOutOfRangeException(nameof(state), state, "Retention deletes succeeded, cancelled and dead jobs only."),
    };
}
