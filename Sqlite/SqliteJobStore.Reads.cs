using Microsoft.Data.Sqlite;

namespace OrleansJobs.Storage.Sqlite;

internal sealed partial class SqliteJobStore
{
    public async Task PingAsync(CancellationToken cancellationToken)
    {
        await using var db = await OpenReaderAsync(cancellationToken);
        await using var command = db.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM jobs_schema_version;";
        await command.ExecuteScalarAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<ReadyJob>> ReadReadyAsync(QueueKey queue, ReadyJob? after, int limit, CancellationToken cancellationToken)
    {
        await using var db = await OpenReaderAsync(cancellationToken);
        await using var command = db.CreateCommand();
        command.CommandText = ReadySql.ReadPage(after is not null);
        if (after is { } last)
        {
            command.Parameters.AddWithValue("@priority", (int)last.Priority);
            command.Parameters.AddWithValue("@run_at", Ms(last.RunAt));
            command.Parameters.AddWithValue("@id", last.Id.ToBytes());
        }

        command.Parameters.AddWithValue("@tenant", queue.Tenant);
        command.Parameters.AddWithValue("@type", queue.JobType);
        command.Parameters.AddWithValue("@limit", limit);
        var page = new List<ReadyJob>(Math.Min(limit, 1024));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            page.Add(ReadReadyJob(reader));
        }

        return page;
    }

    public async Task<PartitionHeads> ReadPartitionHeadsAsync(PartitionHeadsRequest request, CancellationToken cancellationToken)
    {
        await using var db = await OpenReaderAsync(cancellationToken);
        var found = new List<string>();
        await using (var command = db.CreateCommand())
        {
            command.CommandText = ReadySql.PartitionKeys(request.AfterKey is not null);
            command.Parameters.AddWithValue("@tenant", request.Queue.Tenant);
            command.Parameters.AddWithValue("@type", request.Queue.JobType);
            command.Parameters.AddWithValue("@scan", request.Keys + request.Skip.Count);
            if (request.AfterKey is { } after)
            {
                command.Parameters.AddWithValue("@after", after);
            }

            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                found.Add(reader.GetString(0));
            }
        }

        var (wanted, last, ended) = ReadySql.ChooseKeys(found, request);
        var jobs = new List<ReadyJob>();
        await using var head = db.CreateCommand();
        head.CommandText = ReadySql.PartitionHead;
        head.Parameters.AddWithValue("@tenant", request.Queue.Tenant);
        head.Parameters.AddWithValue("@type", request.Queue.JobType);
        head.Parameters.AddWithValue("@per", request.PerKey);
        var key = head.Parameters.Add("@key", SqliteType.Text);

        // One short read per key: SQLite runs in-process, so a statement costs microseconds, not a round trip.
        foreach (var wantedKey in wanted)
        {
            key.Value = wantedKey;
            await using var reader = await head.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                jobs.Add(ReadReadyJob(reader));
            }
        }

        return new PartitionHeads(jobs, last, ended);
    }

    /// <summary>A job of a ready page or a promotion: (id, priority, run-at, partition key).</summary>
    private static ReadyJob ReadReadyJob(SqliteDataReader reader) =>
        new(JobId.FromBytes((byte[])reader.GetValue(0)), (JobPriority)reader.GetInt32(1), Time(reader.GetInt64(2)), reader.IsDBNull(3) ? null : reader.GetString(3));

    public async Task<DateTimeOffset?> GetNextDueAsync(QueueKey queue, CancellationToken cancellationToken)
    {
        await using var db = await OpenReaderAsync(cancellationToken);
        await using var command = db.CreateCommand();
        command.CommandText = ReadySql.NextDue;
        command.Parameters.AddWithValue("@tenant", queue.Tenant);
        command.Parameters.AddWithValue("@type", queue.JobType);
        return await command.ExecuteScalarAsync(cancellationToken) is long ms ? Time(ms) : null;
    }

    public async Task<JobInfo?> GetJobAsync(string tenant, JobId id, CancellationToken cancellationToken)
    {
        await using var db = await OpenReaderAsync(cancellationToken);
        await using var command = db.CreateCommand();
        command.CommandText = $"SELECT {JobColumns} FROM jobs WHERE id = @id AND tenant = @tenant;";
        command.Parameters.AddWithValue("@id", id.ToBytes());
        command.Parameters.AddWithValue("@tenant", tenant);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadJobInfo(reader) : null;
    }

    public async Task<DeadLetterPage> ListDeadAsync(string tenant, DeadLetterFilter filter, int pageSize, JobId? cursor, CancellationToken cancellationToken)
    {
        await using var db = await OpenReaderAsync(cancellationToken);
        await using var command = db.CreateCommand();
        var where = DeadFilterSql(command, tenant, filter, id: null, before: cursor);

        command.CommandText = $"SELECT {JobColumns} FROM jobs WHERE {where} ORDER BY id DESC LIMIT @limit;";
        command.Parameters.AddWithValue("@limit", DeadLetterSql.RowsToRead(pageSize));
        var jobs = new List<JobInfo>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            jobs.Add(ReadJobInfo(reader));
        }

        return DeadLetterSql.ToPage(jobs, pageSize);
    }

    public async Task<QueueSettings> GetQueueSettingsAsync(QueueKey queue, CancellationToken cancellationToken)
    {
        await using var db = await OpenReaderAsync(cancellationToken);
        await using var command = db.CreateCommand();
        command.CommandText = "SELECT policy, paused_at FROM queue_policies WHERE tenant = @tenant AND job_type = @type;";
        command.Parameters.AddWithValue("@tenant", queue.Tenant);
        command.Parameters.AddWithValue("@type", queue.JobType);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new QueueSettings(StoredJson.Read<QueuePolicy>(reader.GetString(0)), reader.IsDBNull(1) ? null : Time(reader.GetInt64(1)))
            : new QueueSettings(null, null);
    }

    public async Task<TenantSettings> GetTenantSettingsAsync(string tenant, CancellationToken cancellationToken)
    {
        await using var db = await OpenReaderAsync(cancellationToken);
        await using var command = db.CreateCommand();
        command.CommandText = "SELECT policy, paused_at FROM tenant_policies WHERE tenant = @tenant;";
        command.Parameters.AddWithValue("@tenant", tenant);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new TenantSettings(StoredJson.Read<TenantPolicy>(reader.GetString(0)), reader.IsDBNull(1) ? null : Time(reader.GetInt64(1)))
            : new TenantSettings(null, null);
    }

    public async Task<IReadOnlyDictionary<string, int>> CountActiveByJobTypeAsync(string tenant, CancellationToken cancellationToken)
    {
        await using var db = await OpenReaderAsync(cancellationToken);
        await using var command = db.CreateCommand();
        command.CommandText = "SELECT job_type, n FROM job_counts WHERE tenant = @tenant AND state = 2 AND n > 0;";
        command.Parameters.AddWithValue("@tenant", tenant);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            counts[reader.GetString(0)] = reader.GetInt32(1);
        }

        return counts;
    }

    public async Task<QueueCounts> GetQueueCountsAsync(QueueKey queue, CancellationToken cancellationToken)
    {
        await using var db = await OpenReaderAsync(cancellationToken);
        await using var command = db.CreateCommand();
        command.CommandText = $"""
            SELECT state, n FROM job_counts WHERE tenant = @tenant AND job_type = @type;
            {JobCountsSql.OldestEnqueuedRunAt};
            """;
        command.Parameters.AddWithValue("@tenant", queue.Tenant);
        command.Parameters.AddWithValue("@type", queue.JobType);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var byState = new List<(JobState, long)>();
        while (await reader.ReadAsync(cancellationToken))
        {
            byState.Add(((JobState)reader.GetInt32(0), reader.GetInt64(1)));
        }

        await reader.NextResultAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return JobCountsSql.ToCounts(byState, reader.IsDBNull(0) ? null : Time(reader.GetInt64(0)));
    }

    public async Task<IReadOnlyList<QueueKey>> ListQueuesWithPendingWorkAsync(CancellationToken cancellationToken)
    {
        await using var db = await OpenReaderAsync(cancellationToken);
        await using var command = db.CreateCommand();
        command.CommandText = "SELECT DISTINCT tenant, job_type FROM job_counts WHERE state IN (0, 1, 2) AND n > 0;";
        return await QueueKeyRows.ReadAsync(command, cancellationToken);
    }

    private static string DeadFilterSql(SqliteCommand command, string tenant, DeadLetterFilter filter, JobId? id, JobId? before = null) =>
        DeadLetterSql.Where(tenant, filter, id, before, TextContains.Instr, Bind(command), i => i.ToBytes(), t => Ms(t));

    private static JobInfo ReadJobInfo(SqliteDataReader reader) => new()
    {
        Id = JobId.FromBytes((byte[])reader.GetValue(0)),
        Tenant = reader.GetString(1),
        JobType = reader.GetString(2),
        State = (JobState)reader.GetInt32(3),
        Priority = (JobPriority)reader.GetInt32(4),
        Attempt = reader.GetInt32(5),
        MaxAttempts = reader.GetInt32(6),
        CreatedAt = Time(reader.GetInt64(7)),
        RunAt = Time(reader.GetInt64(8)),
        StartedAt = reader.IsDBNull(9) ? null : Time(reader.GetInt64(9)),
        FinishedAt = reader.IsDBNull(10) ? null : Time(reader.GetInt64(10)),
        LastError = reader.IsDBNull(11) ? null : reader.GetString(11),
        ReplayCount = reader.GetInt32(12),
        IdempotencyKey = reader.IsDBNull(13) ? null : reader.GetString(13),
        LastSilo = reader.IsDBNull(14) ? null : reader.GetString(14),
    };

    private async Task<SqliteConnection> OpenReaderAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }
}
