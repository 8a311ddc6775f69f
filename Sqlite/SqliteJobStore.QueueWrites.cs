using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace OrleansJobs.Storage.Sqlite;

/// <summary>The group commit's whole-queue statements: due promotions, requeues, sheds, agings and cancels, inside the flush's transaction.</summary>
internal sealed partial class SqliteJobStore
{
    private static async Task<DuePromotion[]> PromoteAsync(SqliteConnection db, List<DuePromotionRequest> promotions, CancellationToken cancellationToken)
    {
        var results = new DuePromotion[promotions.Count];
        if (promotions.Count == 0)
        {
            return results;
        }

        // The next due time is read after the move it follows.
        using var command = Command(db, ReadySql.Promote + ReadySql.NextDue, "@tenant", "@type", "@now", "@limit");
        for (var i = 0; i < promotions.Count; i++)
        {
            var promotion = promotions[i];
            Bind(command, promotion.Queue.Tenant, promotion.Queue.JobType, Ms(promotion.Now), promotion.Limit);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            results[i] = await ReadySql.ReadPromotionAsync(reader, () => ReadReadyJob(reader), () => Time(reader.GetInt64(0)), cancellationToken);
        }

        return results;
    }

    private static async Task<IReadOnlyList<ReadyJob>[]> AgeAsync(SqliteConnection db, List<AgingRequest> agings, CancellationToken cancellationToken)
    {
        var results = new IReadOnlyList<ReadyJob>[agings.Count];
        if (agings.Count == 0)
        {
            return results;
        }

        using var command = Command(db, ReadySql.Age, "@tenant", "@type", "@since", "@limit");
        for (var i = 0; i < agings.Count; i++)
        {
            var aging = agings[i];
            Bind(command, aging.Queue.Tenant, aging.Queue.JobType, Ms(aging.WaitedSince), aging.Limit);
            var aged = new List<ReadyJob>();
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                aged.Add(ReadReadyJob(reader));
            }

            results[i] = aged;
        }

        return results;
    }

    private static int[] Requeue(SqliteConnection db, List<ActiveRequeue> requeues)
    {
        var counts = new int[requeues.Count];
        if (requeues.Count == 0)
        {
            return counts;
        }

        using var command = Command(db, """
            UPDATE jobs SET state = 1, lease_owner = NULL, lease_expires_at = NULL
            WHERE tenant = @tenant AND job_type = @type AND state = 2 AND (@before IS NULL OR lease_expires_at < @before)
              AND hex(id) NOT IN (SELECT value FROM json_each(@held));
            """, "@tenant", "@type", "@before", "@held");
        for (var i = 0; i < requeues.Count; i++)
        {
            var requeue = requeues[i];
            Bind(command, requeue.Queue.Tenant, requeue.Queue.JobType, requeue.ExpiredBefore is { } before ? Ms(before) : null,
                JsonSerializer.Serialize(requeue.Kept.Select(id => Convert.ToHexString(id.ToBytes()))));
            counts[i] = command.ExecuteNonQuery();
        }

        return counts;
    }

    private static IReadOnlyList<JobId>[] Shed(SqliteConnection db, List<ShedRequest> sheds)
    {
        var results = new IReadOnlyList<JobId>[sheds.Count];
        if (sheds.Count == 0)
        {
            return results;
        }

        using var command = Command(db, ReadySql.Shed, "@tenant", "@type", "@above", "@count", "@reason", "@now");
        for (var i = 0; i < sheds.Count; i++)
        {
            var shed = sheds[i];
            Bind(command, shed.Queue.Tenant, shed.Queue.JobType, (int)shed.Above, shed.Count, shed.Reason, Ms(shed.Now));
            var ids = new List<JobId>();
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                ids.Add(JobId.FromBytes((byte[])reader.GetValue(0)));
            }

            results[i] = ids;
        }

        return results;
    }

    private static bool[] Cancel(SqliteConnection db, List<WaitingCancel> cancels)
    {
        var done = new bool[cancels.Count];
        if (cancels.Count == 0)
        {
            return done;
        }

        using var command = Command(db, "UPDATE jobs SET state = 4, finished_at = @now WHERE id = @id AND tenant = @tenant AND state IN (0, 1);", "@id", "@tenant", "@now");
        for (var i = 0; i < cancels.Count; i++)
        {
            Bind(command, cancels[i].Id.ToBytes(), cancels[i].Tenant, Ms(cancels[i].Now));
            done[i] = command.ExecuteNonQuery() == 1;
        }

        return done;
    }
}
