using Npgsql;

namespace OrleansJobs.Storage.Postgres;

internal sealed partial class PostgresJobStore
{
    public async Task PingAsync(CancellationToken cancellationToken)
    {
        await using var command = _db.CreateCommand("SELECT COUNT(*) FROM jobs_schema_version;");
        await command.ExecuteScalarAsync(cancellationToken);
    }

    public Task<IReadOnlyList<ReadyJob>> ReadReadyAsync(QueueKey queue, ReadyJob? after, int limit, CancellationToken cancellationToken) => ReconnectingAsync<IReadOnlyList<ReadyJob>>(async () =>
    {
        await using var command = _db.CreateCommand(ReadySql.ReadPage(after is not null));
        if (after is { } last)
        {
            command.Parameters.AddWithValue("priority", (short)last.Priority);
            command.Parameters.AddWithValue("run_at", Utc(last.RunAt));
            command.Parameters.AddWithValue("id", last.Id.Value);
        }

        command.Parameters.AddWithValue("tenant", queue.Tenant);
        command.Parameters.AddWithValue("type", queue.JobType);
        command.Parameters.AddWithValue("limit", limit);
        var page = new List<ReadyJob>(Math.Min(limit, 1024));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            page.Add(ReadReadyJob(reader));
        }

        return page;
    }, readOnly: true);

    public Task<PartitionHeads> ReadPartitionHeadsAsync(PartitionHeadsRequest request, CancellationToken cancellationToken) => ReconnectingAsync(async () =>
    {
        await using var connection = await _db.OpenConnectionAsync(cancellationToken);
        var found = new List<string>();
        await using (var command = new NpgsqlCommand(ReadySql.PartitionKeys(request.AfterKey is not null), connection))
        {
            command.Parameters.AddWithValue("tenant", request.Queue.Tenant);
            command.Parameters.AddWithValue("type", request.Queue.JobType);
            command.Parameters.AddWithValue("scan", request.Keys + request.Skip.Count);
            if (request.AfterKey is { } after)
            {
                command.Parameters.AddWithValue("after", after);
            }

            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                found.Add(reader.GetString(0));
            }
        }

        var (wanted, last, ended) = ReadySql.ChooseKeys(found, request);
        var jobs = new List<ReadyJob>();
        if (wanted.Count > 0)
        {
            await using var command = new NpgsqlCommand(
                """
                SELECT h.id, h.priority, h.run_at, h.partition_key FROM unnest(@keys) WITH ORDINALITY AS w(k, i)
                CROSS JOIN LATERAL (
                    SELECT id, priority, run_at, partition_key FROM jobs
                    WHERE tenant = @tenant AND job_type = @type AND state = 1 AND partition_key IS NOT NULL AND partition_key = w.k
                    ORDER BY priority, run_at, id LIMIT @per) h
                ORDER BY w.i, h.priority, h.run_at, h.id;
                """,
                connection);
            command.Parameters.AddWithValue("tenant", request.Queue.Tenant);
            command.Parameters.AddWithValue("type", request.Queue.JobType);
            command.Parameters.AddWithValue("per", request.PerKey);
            command.Parameters.Add(Array("keys", wanted, NpgsqlTypes.NpgsqlDbType.Text));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                jobs.Add(ReadReadyJob(reader));
            }
        }

        return new PartitionHeads(jobs, last, ended);
    }, readOnly: true);

    /// <summary>A job of a ready page or a promotion: (id, priority, run-at, partition key).</summary>
    private static ReadyJob ReadReadyJob(NpgsqlDataReader reader) =>
        new(new JobId(reader.GetGuid(0)), (JobPriority)reader.GetInt16(1), Time(reader, 2), reader.IsDBNull(3) ? null : reader.GetString(3));

    public Task<DateTimeOffset?> GetNextDueAsync(QueueKey queue, CancellationToken cancellationToken) => ReconnectingAsync<DateTimeOffset?>(async () =>
    {
        await using var command = _db.CreateCommand(ReadySql.NextDue);
        command.Parameters.AddWithValue("tenant", queue.Tenant);
        command.Parameters.AddWithValue("type", queue.JobType);
        return await command.ExecuteScalarAsync(cancellationToken) is DateTime at ? new DateTimeOffset(at, TimeSpan.Zero) : null;
    }, readOnly: true);

    public Task<JobInfo?> GetJobAsync(string tenant, JobId id, CancellationToken cancellationToken) => ReconnectingAsync<JobInfo?>(async () =>
    {
        await using var command = _db.CreateCommand($"SELECT {JobColumns} FROM jobs WHERE id = @id AND tenant = @tenant;");
        command.Parameters.AddWithValue("id", id.Value);
        command.Parameters.AddWithValue("tenant", tenant);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadJobInfo(reader) : null;
    }, readOnly: true);

    public Task<DeadLetterPage> ListDeadAsync(string tenant, DeadLetterFilter filter, int pageSize, JobId? cursor, CancellationToken cancellationToken) => ReconnectingAsync(async () =>
    {
        await using var command = _db.CreateCommand();
        var where = DeadFilterSql(command, tenant, filter, id: null, before: cursor);
        command.CommandText = $"SELECT {JobColumns} FROM jobs WHERE {where} ORDER BY id DESC LIMIT @limit;";
        command.Parameters.AddWithValue("limit", DeadLetterSql.RowsToRead(pageSize));
        var jobs = new List<JobInfo>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                jobs.Add(ReadJobInfo(reader));
            }
        }

        return DeadLetterSql.ToPage(jobs, pageSize);
    }, readOnly: true);

    public Task<QueueSettings> GetQueueSettingsAsync(QueueKey queue, CancellationToken cancellationToken) => ReconnectingAsync(async () =>
    {
        await using var command = _db.CreateCommand("SELECT policy::text, paused_at FROM queue_policies WHERE tenant = @tenant AND job_type = @type;");
        command.Parameters.AddWithValue("tenant", queue.Tenant);
        command.Parameters.AddWithValue("type", queue.JobType);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new QueueSettings(StoredJson.Read<QueuePolicy>(reader.GetString(0)), reader.IsDBNull(1) ? null : Time(reader, 1))
            : new QueueSettings(null, null);
    }, readOnly: true);

    public Task<TenantSettings> GetTenantSettingsAsync(string tenant, CancellationToken cancellationToken) => ReconnectingAsync(async () =>
    {
        await using var command = _db.CreateCommand("SELECT policy::text, paused_at FROM tenant_policies WHERE tenant = @tenant;");
        command.Parameters.AddWithValue("tenant", tenant);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new TenantSettings(StoredJson.Read<TenantPolicy>(reader.GetString(0)), reader.IsDBNull(1) ? null : Time(reader, 1))
            : new TenantSettings(null, null);
    }, readOnly: true);

    public Task<IReadOnlyDictionary<string, int>> CountActiveByJobTypeAsync(string tenant, CancellationToken cancellationToken) => ReconnectingAsync<IReadOnlyDictionary<string, int>>(async () =>
    {
        await using var command = _db.CreateCommand("""
            SELECT job_type, SUM(n)::int FROM job_counts WHERE tenant = @tenant AND state = 2
            GROUP BY job_type HAVING SUM(n) > 0;
            """);
        command.Parameters.AddWithValue("tenant", tenant);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            counts[reader.GetString(0)] = reader.GetInt32(1);
        }

        return counts;
    }, readOnly: true);

    public Task<QueueCounts> GetQueueCountsAsync(QueueKey queue, CancellationToken cancellationToken) => ReconnectingAsync<QueueCounts>(async () =>
    {
        // Folds the queue's delta rows into one row per state while reading them, so the rows a read
        // sums stay few. Folds of one queue take turns (the advisory lock): two at once would each miss
        // the rows the other moved. The batch is one implicit transaction, and each statement after the
        // lock takes a fresh snapshot, so it sees what a fold before it committed.
        await using var batch = _db.CreateBatch();
        batch.BatchCommands.Add(Command("SELECT pg_advisory_xact_lock(hashtextextended(@queue, 0));", ("queue", $"job_counts/{queue}")));
        batch.BatchCommands.Add(Command(
            """
            WITH folded AS (DELETE FROM job_counts WHERE tenant = @tenant AND job_type = @type RETURNING state, n),
                 sums AS (SELECT state, SUM(n)::bigint AS n FROM folded GROUP BY state),
                 kept AS (INSERT INTO job_counts (tenant, job_type, state, n) SELECT @tenant, @type, state, n FROM sums WHERE n <> 0)
            SELECT state, n FROM sums;
            """,
            ("tenant", queue.Tenant), ("type", queue.JobType)));
        batch.BatchCommands.Add(Command(JobCountsSql.OldestEnqueuedRunAt + ";", ("tenant", queue.Tenant), ("type", queue.JobType)));
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        await reader.NextResultAsync(cancellationToken);
        var byState = new List<(JobState, long)>();
        while (await reader.ReadAsync(cancellationToken))
        {
            byState.Add(((JobState)reader.GetInt16(0), reader.GetInt64(1)));
        }

        await reader.NextResultAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var oldest = reader.IsDBNull(0) ? (DateTimeOffset?)null : Time(reader, 0);
        return JobCountsSql.ToCounts(byState, oldest);
    }, readOnly: true);

    public Task<IReadOnlyList<QueueKey>> ListQueuesWithPendingWorkAsync(CancellationToken cancellationToken) => ReconnectingAsync<IReadOnlyList<QueueKey>>(async () =>
    {
        await using var command = _db.CreateCommand("""
            SELECT tenant, job_type FROM job_counts WHERE state IN (0, 1, 2)
            GROUP BY tenant, job_type HAVING SUM(n) > 0;
            """);
        return await QueueKeyRows.ReadAsync(command, cancellationToken);
    }, readOnly: true);

    private static string DeadFilterSql(NpgsqlCommand command, string tenant, DeadLetterFilter filter, JobId? id, JobId? before = null) =>
        DeadLetterSql.Where(tenant, filter, id, before, TextContains.Like, Bind(command), i => i.Value, t => Utc(t));

    private static JobInfo ReadJobInfo(NpgsqlDataReader reader) => new()
    {
        Id = new JobId(reader.GetGuid(0)),
        Tenant = reader.GetString(1),
        JobType = reader.GetString(2),
        State = (JobState)reader.GetInt16(3),
        Priority = (JobPriority)reader.GetInt16(4),
        Attempt = reader.GetInt32(5),
        MaxAttempts = reader.GetInt32(6),
        CreatedAt = Time(reader, 7),
        RunAt = Time(reader, 8),
        StartedAt = reader.IsDBNull(9) ? null : Time(reader, 9),
        FinishedAt = reader.IsDBNull(10) ? null : Time(reader, 10),
        LastError = reader.IsDBNull(11) ? null : reader.GetString(11),
        ReplayCount = reader.GetInt32(12),
        IdempotencyKey = reader.IsDBNull(13) ? null : reader.GetString(13),
        LastSilo = reader.IsDBNull(14) ? null : reader.GetString(14),
    };
}
