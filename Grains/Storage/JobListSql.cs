using System.Globalization;

namespace OrleansJobs.Storage;

/// <summary>
/// The SQL stores' listing of a queue's jobs in one state (<see cref="JobListing"/>), each walked along
/// the partial index of its state so a page costs O(page) whatever the backlog. The cursor is the last
/// row's place in that order, written as text: <c>priority|run-at ticks|id</c>, <c>time ticks|id</c> or <c>id</c>
/// (ticks, since PostgreSQL keeps microseconds).
/// </summary>
internal static class JobListSql
{
    /// <summary>The WHERE and ORDER BY (with LIMIT) after <c>SELECT columns FROM jobs</c>, binding values through the dialect's converters.</summary>
    /// <exception cref="JobValidationException">The cursor is not one this listing gave.</exception>
    /// <param name="listing">The queue, state, cursor and filters.</param>
    /// <param name="contains">The dialect's test that a column contains a text.</param>
    /// <param name="add">Binds a parameter on the command.</param>
    /// <param name="idValue">A job id as the dialect stores it.</param>
    /// <param name="timeValue">A time as the dialect stores it.</param>
    public static string Clauses(JobListing listing, TextContains contains, Action<string, object> add, Func<JobId, object> idValue, Func<DateTimeOffset, object> timeValue)
    {
        add("@tenant", listing.Queue.Tenant);
        add("@limit", listing.Limit + 1);
        var where = "tenant = @tenant";
        if (listing.Queue.JobType.Length > 0)
        {
            where += " AND job_type = @type";
            add("@type", listing.Queue.JobType);
        }
        else if (listing.State != JobState.Dead)
        {
            throw new ArgumentException("Only dead jobs are listed across job types: their index is the tenant's alone.", nameof(listing));
        }

        // Ids are time-ordered, so the creation window bounds every state's list; in the finished ones it also bounds the index walk.
        if (listing.CreatedFrom is { } from)
        {
            where += " AND id >= @from_id";
            add("@from_id", idValue(JobId.MinAt(from)));
        }

        if (listing.CreatedTo is { } to)
        {
            where += " AND id < @to_id";
            add("@to_id", idValue(JobId.MinAt(to)));
        }

        // Indexed for dead jobs on PostgreSQL with pg_trgm (migration 019); otherwise the list walks its state's
        // index and skips the rows whose last error does not match, until it has a page.
        if (listing.ErrorContains is { Length: > 0 } errorText)
        {
            where += $" AND last_error IS NOT NULL AND {contains.Clause("last_error", "@error")}";
            add("@error", contains.Value(errorText));
        }

        var after = listing.After is { Length: > 0 } text ? text.Split('|') : null;
        switch (listing.State)
        {
            case JobState.Enqueued:
                if (after is not null)
                {
                    Expect(after, 3);
                    where += " AND (priority, run_at, id) > (@after_priority, @after_time, @after_id)";
                    add("@after_priority", (short)Number(after[0]));
                    add("@after_time", timeValue(Time(after[1])));
                    add("@after_id", idValue(Id(after[2])));
                }

                return $"{where} AND state = 1 ORDER BY priority, run_at, id LIMIT @limit";

            case JobState.Scheduled or JobState.Active:
                var column = listing.State == JobState.Scheduled ? "run_at" : "lease_expires_at";
                if (after is not null)
                {
                    Expect(after, 2);
                    where += $" AND ({column}, id) > (@after_time, @after_id)";
                    add("@after_time", timeValue(Time(after[0])));
                    add("@after_id", idValue(Id(after[1])));
                }

                return $"{where} AND state = {(int)listing.State} ORDER BY {column}, id LIMIT @limit";

            default:
                if (after is not null)
                {
                    Expect(after, 1);
                    where += " AND id < @after_id";
                    add("@after_id", idValue(Id(after[0])));
                }

                // Finished rows are found through the index kept for both finished states; SQLite uses a
                // partial index only when the query repeats its condition.
                var state = listing.State is JobState.Succeeded or JobState.Cancelled
                    ? $"state IN (3, 4) AND state = {(int)listing.State}"
                    : $"state = {(int)listing.State}";
                return $"{where} AND {state} ORDER BY id DESC LIMIT @limit";
        }
    }

    /// <summary>Turns the rows read (one more than the page) into a page whose cursor is the last row's place.</summary>
    public static JobListPage Page(List<(JobInfo Job, DateTimeOffset? LeaseExpiresAt)> rows, JobListing listing)
    {
        var more = rows.Count > listing.Limit;
        if (more)
        {
            rows.RemoveRange(listing.Limit, rows.Count - listing.Limit);
        }

        var places = rows.Select(r => Place(listing.State, r.Job, r.LeaseExpiresAt)).ToList();
        return new JobListPage(rows.Select(r => r.Job).ToList(), more ? places[^1] : null) { Places = places };
    }

    /// <summary>A row's place in its state's order, as the cursor text that continues after it.</summary>
    private static string Place(JobState state, JobInfo job, DateTimeOffset? leaseExpiresAt) => state switch
    {
        JobState.Enqueued => $"{(int)job.Priority}|{Ticks(job.RunAt)}|{job.Id}",
        JobState.Scheduled => $"{Ticks(job.RunAt)}|{job.Id}",
        JobState.Active => $"{Ticks(leaseExpiresAt ?? DateTimeOffset.UnixEpoch)}|{job.Id}",
        _ => job.Id.ToString(),
    };

    /// <summary>Orders places (and cursors) of one state's list as the list runs: the finished states newest first.</summary>
    /// <exception cref="JobValidationException">A place is not one a list of this state gave.</exception>
    public static IComparer<string> PlaceOrder(JobState state) => Comparer<string>.Create((a, b) =>
    {
        var (x, y) = (a.Split('|'), b.Split('|'));
        switch (state)
        {
            case JobState.Enqueued:
                Expect(x, 3);
                Expect(y, 3);
                var byPriority = Number(x[0]).CompareTo(Number(y[0]));
                return byPriority != 0 ? byPriority : Number(x[1]).CompareTo(Number(y[1])) is var byTime and not 0 ? byTime : Id(x[2]).CompareTo(Id(y[2]));
            case JobState.Scheduled or JobState.Active:
                Expect(x, 2);
                Expect(y, 2);
                return Number(x[0]).CompareTo(Number(y[0])) is var byAt and not 0 ? byAt : Id(x[1]).CompareTo(Id(y[1]));
            default:
                Expect(x, 1);
                Expect(y, 1);
                return Id(y[0]).CompareTo(Id(x[0]));
        }
    });

    private static string Ticks(DateTimeOffset time) => time.UtcTicks.ToString(CultureInfo.InvariantCulture);

    private static void Expect(string[] parts, int count)
    {
        if (parts.Length != count)
        {
            throw Invalid();
        }
    }

    private static long Number(string text) => long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : throw Invalid();

    private static DateTimeOffset Time(string text) =>
        Number(text) is var ticks && ticks >= DateTimeOffset.MinValue.UtcTicks && ticks <= DateTimeOffset.MaxValue.UtcTicks ? new DateTimeOffset(ticks, TimeSpan.Zero) : throw Invalid();

    private static JobId Id(string text) => JobId.TryParse(text, out var id) ? id : throw Invalid();

    private static JobValidationException Invalid() => new("cursor", "invalid_cursor", "is not a cursor this list gave.");
}
