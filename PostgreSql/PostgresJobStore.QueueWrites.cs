using Npgsql;
using NpgsqlTypes;

namespace OrleansJobs.Storage.Postgres;

/// <summary>
/// The group commit's whole-queue statements: due promotions, requeues, sheds, agings and cancels. Each
/// promotion, requeue, shed and aging is a statement of its own (a queue's own bounded range); the cancels
/// of a flush are one. Each returns rows, read back in the order they were added.
/// </summary>
internal sealed partial class PostgresJobStore
{
    private const string RequeueSql = """
        WITH requeued AS (
            UPDATE jobs SET state = 1, lease_owner = NULL, lease_expires_at = NULL
            WHERE tenant = @tenant AND job_type = @type AND state = 2
              AND (@before::timestamptz IS NULL OR lease_expires_at < @before) AND NOT (id = ANY(@held))
            RETURNING 1)
        SELECT COUNT(*) FROM requeued;
        """;

    // By id only (state + 0 keeps the planner on the primary key); a job named twice is updated once.
    private const string CancelSql = """
        UPDATE jobs AS j SET state = 4, finished_at = c.at
        FROM unnest(@ids, @tenants, @at) AS c(id, tenant, at)
        WHERE j.id = c.id AND j.tenant = c.tenant AND j.state + 0 IN (0, 1)
        RETURNING j.id;
        """;

    private static void AddQueueWrites(NpgsqlBatch statements, JobWriteBatch batch)
    {
        foreach (var promotion in batch.Promotions)
        {
            // The next due time is read after the move it follows, in the same transaction.
            var (tenant, type) = (promotion.Queue.Tenant, promotion.Queue.JobType);
            statements.BatchCommands.Add(Command(ReadySql.Promote, ("tenant", tenant), ("type", type), ("now", Utc(promotion.Now)), ("limit", promotion.Limit)));
            statements.BatchCommands.Add(Command(ReadySql.NextDue, ("tenant", tenant), ("type", type)));
        }

        foreach (var requeue in batch.Requeues)
        {
            statements.BatchCommands.Add(Command(RequeueSql,
                ("tenant", requeue.Queue.Tenant),
                ("type", requeue.Queue.JobType),
                ("before", requeue.ExpiredBefore is { } before ? Utc(before) : DBNull.Value),
                ("held", requeue.Kept.Select(id => id.Value).ToArray())));
        }

        foreach (var shed in batch.Sheds)
        {
            statements.BatchCommands.Add(Command(ReadySql.Shed,
                ("tenant", shed.Queue.Tenant), ("type", shed.Queue.JobType), ("above", (short)shed.Above),
                ("count", shed.Count), ("reason", shed.Reason), ("now", Utc(shed.Now))));
        }

        foreach (var aging in batch.Agings)
        {
            statements.BatchCommands.Add(Command(ReadySql.Age,
                ("tenant", aging.Queue.Tenant), ("type", aging.Queue.JobType), ("since", Utc(aging.WaitedSince)), ("limit", aging.Limit)));
        }

        if (batch.Cancels.Count > 0)
        {
            var command = new NpgsqlBatchCommand(CancelSql);
            command.Parameters.Add(Array("ids", batch.Cancels.Select(c => c.Id.Value), NpgsqlDbType.Uuid));
            command.Parameters.Add(Array("tenants", batch.Cancels.Select(c => c.Tenant), NpgsqlDbType.Text));
            command.Parameters.Add(Array("at", batch.Cancels.Select(c => Utc(c.Now)), NpgsqlDbType.TimestampTz));
            statements.BatchCommands.Add(command);
        }
    }

    /// <summary>Reads what <see cref="AddQueueWrites"/> added, each result set followed by a move to the next.</summary>
    private static async Task<QueueWriteResults> ReadQueueWritesAsync(NpgsqlDataReader reader, JobWriteBatch batch, CancellationToken cancellationToken)
    {
        var promotions = new DuePromotion[batch.Promotions.Count];
        for (var i = 0; i < promotions.Length; i++)
        {
            promotions[i] = await ReadySql.ReadPromotionAsync(reader, () => ReadReadyJob(reader), () => Time(reader, 0), cancellationToken);
            await reader.NextResultAsync(cancellationToken);
        }

        var requeues = new int[batch.Requeues.Count];
        for (var i = 0; i < requeues.Length; i++)
        {
            await reader.ReadAsync(cancellationToken);
            requeues[i] = (int)reader.GetInt64(0);
            await reader.NextResultAsync(cancellationToken);
        }

        var sheds = new IReadOnlyList<JobId>[batch.Sheds.Count];
        for (var i = 0; i < sheds.Length; i++)
        {
            var shed = new List<JobId>();
            while (await reader.ReadAsync(cancellationToken))
            {
                shed.Add(new JobId(reader.GetGuid(0)));
            }

            sheds[i] = shed;
            await reader.NextResultAsync(cancellationToken);
        }

        var agings = new IReadOnlyList<ReadyJob>[batch.Agings.Count];
        for (var i = 0; i < agings.Length; i++)
        {
            var aged = new List<ReadyJob>();
            while (await reader.ReadAsync(cancellationToken))
            {
                aged.Add(ReadReadyJob(reader));
            }

            agings[i] = aged;
            await reader.NextResultAsync(cancellationToken);
        }

        var cancels = new bool[batch.Cancels.Count];
        if (cancels.Length > 0)
        {
            var cancelled = new HashSet<Guid>();
            while (await reader.ReadAsync(cancellationToken))
            {
                cancelled.Add(reader.GetGuid(0));
            }

            // Two cancels of one job in a flush: the first took effect, the second found it cancelled.
            for (var i = 0; i < cancels.Length; i++)
            {
                cancels[i] = cancelled.Remove(batch.Cancels[i].Id.Value);
            }

            await reader.NextResultAsync(cancellationToken);
        }

        return new QueueWriteResults(promotions, requeues, sheds, agings, cancels);
    }

    private sealed record QueueWriteResults(DuePromotion[] Promotions, int[] Requeues, IReadOnlyList<JobId>[] Sheds, IReadOnlyList<ReadyJob>[] Agings, bool[] Cancels);
}
