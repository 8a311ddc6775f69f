using System.Data.Common;

namespace OrleansJobs.Storage;

/// <summary>Reads the SQL stores' rows of (tenant, job type), in the order the query gives them.</summary>
internal static class QueueKeyRows
{
    /// <summary>Runs <paramref name="command"/> and reads its first two columns of each row as a queue.</summary>
    public static async Task<List<QueueKey>> ReadAsync(DbCommand command, CancellationToken cancellationToken)
    {
        var queues = new List<QueueKey>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            queues.Add(new QueueKey(reader.GetString(0), reader.GetString(1)));
        }

        return queues;
    }
}
