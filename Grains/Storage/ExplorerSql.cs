namespace OrleansJobs.Storage;

/// <summary>
/// The job explorer's reads, shared by the SQL stores. Queue and tenant lists come from the per-queue
/// counters (<c>job_counts</c>), so they cost O(queues) whatever the number of jobs.
/// </summary>
internal static class ExplorerSql
{
    /// <summary>States a queue is listed for: scheduled, enqueued, active, dead.</summary>
    private const string ListedStates = "0, 1, 2, 5";

    /// <summary>One page of queues with work or dead letters; binds @tenant, @after_tenant, @after_type and @limit as the listing needs.</summary>
    public static string Queues(QueueListing listing, Action<string, object> add)
    {
        var where = $"state IN ({ListedStates})";
        if (listing.Tenant is { } tenant)
        {
            where += " AND tenant = @tenant";
            add("@tenant", tenant);
        }

        if (listing.After is { } after)
        {
            where += " AND (tenant > @after_tenant OR (tenant = @after_tenant AND job_type > @after_type))";
            add("@after_tenant", after.Tenant);
            add("@after_type", after.JobType);
        }

        add("@limit", listing.Limit + 1);
        return $"SELECT tenant, job_type FROM job_counts WHERE {where} GROUP BY tenant, job_type HAVING SUM(n) > 0 ORDER BY tenant, job_type LIMIT @limit;";
    }

    /// <summary>Turns the rows read (one more than the page) into a page with its cursor.</summary>
    public static QueueListPage QueuePage(List<QueueKey> rows, int limit)
    {
        if (rows.Count <= limit)
        {
            return new QueueListPage(rows, null);
        }

        rows.RemoveRange(limit, rows.Count - limit);
        return new QueueListPage(rows, rows[^1]);
    }

    /// <summary>Queues with work or dead letters per tenant, of the tenants named; binds @t0, @t1, …</summary>
    public static string QueueCounts(IReadOnlyList<string> tenants, Action<string, object> add)
    {
        var names = tenants.Select((tenant, i) =>
        {
            add($"@t{i}", tenant);
            return $"@t{i}";
        }).ToList();
        return $"""
            SELECT tenant, COUNT(*) FROM (
                SELECT tenant, job_type FROM job_counts WHERE tenant IN ({string.Join(", ", names)}) AND state IN ({ListedStates})
                GROUP BY tenant, job_type HAVING SUM(n) > 0) AS q
            GROUP BY tenant;
            """;
    }

    /// <summary>The tenant's job types with jobs in the state, in name order; binds @tenant, @state and @limit.</summary>
    public static string JobTypes(string tenant, JobState state, int limit, Action<string, object> add)
    {
        add("@tenant", tenant);
        add("@state", (int)state);
        add("@limit", limit);
        return "SELECT job_type FROM job_counts WHERE tenant = @tenant AND state = @state GROUP BY job_type HAVING SUM(n) > 0 ORDER BY job_type LIMIT @limit;";
    }

    /// <summary>Tenants with jobs, after @after when given; binds @after and @limit.</summary>
    public static string Tenants(string? after, int limit, Action<string, object> add)
    {
        add("@limit", limit);
        if (after is null)
        {
            return "SELECT tenant FROM job_counts GROUP BY tenant HAVING SUM(n) > 0 ORDER BY tenant LIMIT @limit;";
        }

        add("@after", after);
        return "SELECT tenant FROM job_counts WHERE tenant > @after GROUP BY tenant HAVING SUM(n) > 0 ORDER BY tenant LIMIT @limit;";
    }

    /// <summary>Counts the rows <paramref name="where"/> selects, reading no more than @up_to of them.</summary>
    public static string CountUpTo(string where, int upTo, Action<string, object> add)
    {
        add("@up_to", upTo);
        return $"SELECT COUNT(*) FROM (SELECT 1 FROM jobs WHERE {where} LIMIT @up_to) AS matched;";
    }

    /// <summary>The rows a deletion takes (finished only), binding @tenant and the filter's values or @id.</summary>
    public static string Doomed(FinishedJobsDeletion deletion, TextContains contains, Action<string, object> add, Func<JobId, object> idValue, Func<DateTimeOffset, object> timeValue)
    {
        add("@limit", deletion.Limit);
        if (deletion.Id is { } id)
        {
            add("@tenant", deletion.Tenant);
            add("@id", idValue(id));
            return "SELECT id FROM jobs WHERE tenant = @tenant AND id = @id AND state IN (3, 4, 5) LIMIT @limit";
        }

        var where = DeadLetterSql.Where(deletion.Tenant, deletion.Filter, null, null, contains, add, idValue, timeValue);
        return $"SELECT id FROM jobs WHERE {where} ORDER BY id LIMIT @limit";
    }

    /// <summary>A job's failed attempts, oldest first; binds nothing but @id.</summary>
    public const string Errors = "SELECT attempt, failed_at, silo, error_type, message, stack_trace, started_at, next_state FROM job_errors WHERE job_id = @id ORDER BY lease;";

    /// <summary>Reads the first column of every row as text.</summary>
    public static async Task<IReadOnlyList<string>> ReadNamesAsync(System.Data.Common.DbCommand command, CancellationToken cancellationToken)
    {
        var names = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            names.Add(reader.GetString(0));
        }

        return names;
    }

    /// <summary>Reads rows of (name, count).</summary>
    public static async Task<IReadOnlyDictionary<string, int>> ReadCountsAsync(System.Data.Common.DbCommand command, CancellationToken cancellationToken)
    {
        var counts = new Dictionary<string, int>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            counts[reader.GetString(0)] = (int)reader.GetInt64(1);
        }

        return counts;
    }
}
