using System.Data.Common;

namespace OrleansJobs.Storage;

/// <summary>
/// The due side of a queue: its ordered ready page, the promotion of scheduled jobs that fell due,
/// its next due time, and the shedding of its lowest-priority due jobs; shared by the SQL stores.
/// Parameters are named <c>@tenant</c>, <c>@type</c>, <c>@limit</c>, <c>@now</c>, and for a page
/// after a job <c>@priority</c>, <c>@run_at</c> and <c>@id</c>; the page and the promotion return
/// jobs as (id, priority, run-at, partition key).
/// </summary>
internal static class ReadySql
{
    private const string Page = """
        SELECT id, priority, run_at, partition_key FROM jobs
        WHERE tenant = @tenant AND job_type = @type AND state = 1{0}
        ORDER BY priority, run_at, id LIMIT @limit;
        """;

    /// <summary>Up to <c>@limit</c> enqueued jobs in run order, from the first or from the first after the bound job.</summary>
    public static string ReadPage(bool afterAJob) =>
        string.Format(System.Globalization.CultureInfo.InvariantCulture, Page, afterAJob ? " AND (priority, run_at, id) > (@priority, @run_at, @id)" : "");

    private const string Keys = """
        WITH RECURSIVE keys(k, n) AS (
            SELECT (SELECT partition_key FROM jobs
                    WHERE tenant = @tenant AND job_type = @type AND state = 1 AND partition_key IS NOT NULL{0}
                    ORDER BY partition_key LIMIT 1), 1
            UNION ALL
            SELECT (SELECT j.partition_key FROM jobs j
                    WHERE j.tenant = @tenant AND j.job_type = @type AND j.state = 1 AND j.partition_key IS NOT NULL AND j.partition_key > keys.k
                    ORDER BY j.partition_key LIMIT 1), n + 1
            FROM keys WHERE keys.k IS NOT NULL AND n < @scan)
        SELECT k FROM keys WHERE k IS NOT NULL;
        """;

    /// <summary>
    /// Up to <c>@scan</c> partition keys with due jobs, in key order, after <c>@after</c> or from the
    /// first. Each step jumps to the next key on the partition index, so a key's backlog is never read.
    /// </summary>
    public static string PartitionKeys(bool afterAKey) =>
        string.Format(System.Globalization.CultureInfo.InvariantCulture, Keys, afterAKey ? " AND partition_key > @after" : "");

    /// <summary>The first <c>@per</c> due jobs of partition key <c>@key</c>, in run order.</summary>
    public const string PartitionHead = """
        SELECT id, priority, run_at, partition_key FROM jobs
        WHERE tenant = @tenant AND job_type = @type AND state = 1 AND partition_key IS NOT NULL AND partition_key = @key
        ORDER BY priority, run_at, id LIMIT @per;
        """;

    /// <summary>
    /// Which of the keys a <see cref="PartitionKeys"/> read found to take (the first ones not skipped),
    /// and what to answer for the cursor: the last key taken, or the last read when fewer were wanted.
    /// </summary>
    public static (List<string> Wanted, string? LastKey, bool Ended) ChooseKeys(IReadOnlyList<string> found, PartitionHeadsRequest request)
    {
        var skip = request.Skip as IReadOnlySet<string> ?? request.Skip.ToHashSet(StringComparer.Ordinal);
        var wanted = new List<string>(request.Keys);
        var consumed = 0;
        foreach (var key in found)
        {
            if (wanted.Count == request.Keys)
            {
                break;
            }

            consumed++;
            if (!skip.Contains(key))
            {
                wanted.Add(key);
            }
        }

        // The round ends only when the keys ran out, not when enough were wanted before the last found
        // (left-out keys the store lacks leave room in the scan for keys past the ones taken).
        var ended = consumed == found.Count && found.Count < request.Keys + request.Skip.Count;
        var last = wanted.Count == request.Keys ? wanted[^1] : found.Count > 0 ? found[^1] : request.AfterKey;
        return (wanted, last, ended);
    }

    /// <summary>Moves up to <c>@limit</c> scheduled jobs due at <c>@now</c> to enqueued, earliest first, and returns them.</summary>
    public const string Promote = """
        UPDATE jobs SET state = 1
        WHERE id IN (SELECT id FROM jobs WHERE tenant = @tenant AND job_type = @type AND state = 0 AND run_at <= @now ORDER BY run_at LIMIT @limit)
        RETURNING id, priority, run_at, partition_key;
        """;

    /// <summary>
    /// Cancels exactly <c>@count</c> enqueued jobs of priority lower than <c>@above</c>, lowest priority
    /// and latest first, recording <c>@reason</c> at <c>@now</c>; none when fewer qualify. Returns their ids.
    /// </summary>
    public const string Shed = """
        WITH victims AS (
            SELECT id FROM jobs WHERE tenant = @tenant AND job_type = @type AND state = 1 AND priority > @above
            ORDER BY priority DESC, run_at DESC, id DESC LIMIT @count)
        UPDATE jobs SET state = 4, finished_at = @now, last_error = @reason
        WHERE id IN (SELECT id FROM victims) AND (SELECT COUNT(*) FROM victims) = @count
        RETURNING id;
        """;

    /// <summary>
    /// Moves up to <c>@limit</c> enqueued jobs of normal or low priority, due at <c>@since</c> or earlier,
    /// to high priority, earliest first, and returns them. Each priority is read on the ready index in
    /// run-at order up to the limit, so it costs O(limit) whatever the backlog.
    /// </summary>
    public const string Age = """
        UPDATE jobs SET priority = 0
        WHERE id IN (
            SELECT c.id FROM (
                SELECT n.id, n.run_at FROM (
                    SELECT id, run_at FROM jobs WHERE tenant = @tenant AND job_type = @type AND state = 1 AND priority = 1 AND run_at <= @since
                    ORDER BY run_at LIMIT @limit) AS n
                UNION ALL
                SELECT l.id, l.run_at FROM (
                    SELECT id, run_at FROM jobs WHERE tenant = @tenant AND job_type = @type AND state = 1 AND priority = 2 AND run_at <= @since
                    ORDER BY run_at LIMIT @limit) AS l) AS c
            ORDER BY c.run_at LIMIT @limit)
        RETURNING id, priority, run_at, partition_key;
        """;

    /// <summary>The earliest run-at of the queue's scheduled jobs (NULL when none is).</summary>
    public const string NextDue = "SELECT MIN(run_at) FROM jobs WHERE tenant = @tenant AND job_type = @type AND state = 0;";

    /// <summary>
    /// Reads the results of <see cref="Promote"/> then <see cref="NextDue"/> run as one batch; each
    /// store reads a job row with <paramref name="readJob"/> and a non-null run-at with <paramref name="readRunAt"/>.
    /// </summary>
    public static async Task<DuePromotion> ReadPromotionAsync(DbDataReader reader, Func<ReadyJob> readJob, Func<DateTimeOffset> readRunAt, CancellationToken cancellationToken)
    {
        var promoted = new List<ReadyJob>();
        while (await reader.ReadAsync(cancellationToken))
        {
            promoted.Add(readJob());
        }

        await reader.NextResultAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new DuePromotion(promoted, reader.IsDBNull(0) ? null : readRunAt());
    }
}
