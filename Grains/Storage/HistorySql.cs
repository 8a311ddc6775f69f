namespace OrleansJobs.Storage;

/// <summary>The queue history's reads and trim, shared by the SQL stores (<see cref="IHistoryStore"/>). Minutes are Unix milliseconds.</summary>
internal static class HistorySql
{
    /// <summary>
    /// Three result sets in one round trip: minute totals, queue counts, queue levels. Binds @from,
    /// @levels_from, @max_queues and, for one tenant, @tenant.
    /// </summary>
    public static string Read(HistoryQuery query, Action<string, object> add)
    {
        var tenant = "";
        if (query.Tenant is { } name)
        {
            tenant = " AND tenant = @tenant";
            add("@tenant", name);
        }

        add("@from", query.From.ToUnixTimeMilliseconds());
        add("@levels_from", query.LevelsFrom.ToUnixTimeMilliseconds());
        add("@max_queues", query.MaxQueues);
        return $"""
            SELECT minute, CAST(SUM(enqueued) AS bigint), CAST(SUM(succeeded) AS bigint), CAST(SUM(failed) AS bigint), CAST(SUM(dead_lettered) AS bigint), COALESCE(CAST(SUM(backlog) AS bigint), 0)
            FROM queue_minutes WHERE minute >= @from{tenant} GROUP BY minute ORDER BY minute;
            SELECT tenant, job_type, CAST(SUM(enqueued) AS bigint), CAST(SUM(succeeded) AS bigint), CAST(SUM(failed) AS bigint), CAST(SUM(dead_lettered) AS bigint)
            FROM queue_minutes WHERE minute >= @from{tenant} GROUP BY tenant, job_type
            ORDER BY SUM(dead_lettered) DESC, SUM(failed) DESC, tenant, job_type LIMIT @max_queues;
            SELECT m.tenant, m.job_type, m.minute, m.backlog, m.oldest_wait_ms FROM queue_minutes m
            WHERE m.minute >= @levels_from AND m.backlog IS NOT NULL{(query.Tenant is null ? "" : " AND m.tenant = @tenant")}
              AND NOT EXISTS (SELECT 1 FROM queue_minutes n
                              WHERE n.tenant = m.tenant AND n.minute > m.minute AND n.job_type = m.job_type AND n.backlog IS NOT NULL)
            ORDER BY m.oldest_wait_ms DESC NULLS LAST, m.tenant, m.job_type LIMIT @max_queues;
            """;
    }

    /// <summary>Deletes the oldest minutes before @before, at most @limit rows; binds both.</summary>
    public static string Delete(DateTimeOffset before, int limit, Action<string, object> add)
    {
        add("@before", before.ToUnixTimeMilliseconds());
        add("@limit", limit);
        return """
            DELETE FROM queue_minutes WHERE (tenant, minute, job_type) IN (
                SELECT tenant, minute, job_type FROM queue_minutes WHERE minute < @before ORDER BY minute LIMIT @limit);
            """;
    }

    /// <summary>Reads the three result sets <see cref="Read"/> selects.</summary>
    public static async Task<QueueHistory> ReadAsync(System.Data.Common.DbDataReader reader, CancellationToken cancellationToken)
    {
        var minutes = new List<MinuteTotals>();
        while (await reader.ReadAsync(cancellationToken))
        {
            minutes.Add(new MinuteTotals(Minute(reader.GetInt64(0)), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5)));
        }

        await reader.NextResultAsync(cancellationToken);
        var queues = new List<QueueActivity>();
        while (await reader.ReadAsync(cancellationToken))
        {
            queues.Add(new QueueActivity(new QueueKey(reader.GetString(0), reader.GetString(1)), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5)));
        }

        await reader.NextResultAsync(cancellationToken);
        var levels = new List<QueueLevel>();
        while (await reader.ReadAsync(cancellationToken))
        {
            levels.Add(new QueueLevel(
                new QueueKey(reader.GetString(0), reader.GetString(1)),
                Minute(reader.GetInt64(2)),
                reader.GetInt64(3),
                reader.IsDBNull(4) ? null : TimeSpan.FromMilliseconds(reader.GetInt64(4))));
        }

        return new QueueHistory(minutes, queues, levels);
    }

    private static DateTimeOffset Minute(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);
}
