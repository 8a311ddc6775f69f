namespace OrleansJobs.Storage;

/// <summary>The WHERE clause that selects a tenant's dead-lettered jobs, shared by the SQL stores.</summary>
internal static class DeadLetterSql
{
    /// <summary>
    /// Builds the clause for <paramref name="filter"/> (and one <paramref name="id"/>, or ids before
    /// <paramref name="before"/>), passing each parameter to <paramref name="add"/>.
    /// </summary>
    /// <param name="tenant">The tenant whose dead letters are selected.</param>
    /// <param name="filter">Type, time range and error text to match.</param>
    /// <param name="id">One job id, or null.</param>
    /// <param name="before">Only ids below this one (a page cursor), or null.</param>
    /// <param name="contains">The dialect's test that a column contains a text.</param>
    /// <param name="add">Binds a parameter on the command.</param>
    /// <param name="idValue">A job id as the dialect stores it.</param>
    /// <param name="timeValue">A time as the dialect stores it.</param>
    public static string Where(
        string tenant,
        DeadLetterFilter filter,
        JobId? id,
        JobId? before,
        TextContains contains,
        Action<string, object> add,
        Func<JobId, object> idValue,
        Func<DateTimeOffset, object> timeValue)
    {
        var where = "tenant = @tenant AND state = 5";
        add("@tenant", tenant);
        if (id is { } one)
        {
            where += " AND id = @id";
            add("@id", idValue(one));
        }

        if (before is { } cursor)
        {
            where += " AND id < @cursor";
            add("@cursor", idValue(cursor));
        }

        if (filter.JobType is { } type)
        {
            where += " AND job_type = @type";
            add("@type", type);
        }

        if (filter.From is { } from)
        {
            where += " AND finished_at >= @from";
            add("@from", timeValue(from));
        }

        if (filter.To is { } to)
        {
            where += " AND finished_at < @to";
            add("@to", timeValue(to));
        }

        if (filter.ErrorContains is { } text)
        {
            where += $" AND {contains.Clause("last_error", "@error")}";
            add("@error", contains.Value(text));
        }

        return where;
    }

    /// <summary>Rows to read for a page: one more than the page, to learn whether another follows.</summary>
    public static int RowsToRead(int pageSize) => pageSize + 1;

    /// <summary>Turns the rows read (newest id first, up to <see cref="RowsToRead"/>) into a page with its next cursor.</summary>
    public static DeadLetterPage ToPage(List<JobInfo> rows, int pageSize)
    {
        var more = rows.Count > pageSize;
        if (more)
        {
            rows.RemoveRange(pageSize, rows.Count - pageSize);
        }

        return new DeadLetterPage { Jobs = rows, NextCursor = more ? rows[^1].Id : null };
    }
}
