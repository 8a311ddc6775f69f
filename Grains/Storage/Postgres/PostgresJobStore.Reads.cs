using Npgsql;

namespace OrleansJobs.Storage.Postgres;

internal sealed partial class PostgresJobStore
{
    public async Task PingAsync(CancellationToken cancellationToken)
    {
        await using var command = _db.CreateCommand("SELECT COUNT(*) FROM jobs_schema_version;");
        await command.ExecuteScalarAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<ReadyJob>> ReadReadyAsync(QueueKey queue, int limit, CancellationToken cancellationToken)
    {
        await using var command = _db.CreateCommand("""
            SELECT id, priority, run_at FROM jobs
            WHERE tenant = @tenant AND job_type = @type AND state = 1
            ORDER BY priority, run_at, id LIMIT @limit;
            """);
        command.Parameters.AddWithValue("tenant", queue.Tenant);
        command.Parameters.AddWithValue("type", queue.JobType);
        command.Parameters.AddWithValue("limit", limit);
        var page = new List<ReadyJob>(Math.Min(limit, 1024));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            page.Add(new ReadyJob(new JobId(reader.GetGuid(0)), (JobPriority)reader.GetInt16(1), Time(reader, 2)));
        }

        return page;
    }

    public async Task<DateTimeOffset?> GetNextDueAsync(QueueKey queue, CancellationToken cancellationToken)
    {
        await using var command = _db.CreateCommand("SELECT MIN(run_at) FROM jobs WHERE tenant = @tenant AND job_type = @type AND state = 0;");
        command.Parameters.AddWithValue("tenant", queue.Tenant);
        command.Parameters.AddWithValue("type", queue.JobType);
        return await command.ExecuteScalarAsync(cancellationToken) is DateTime at ? new DateTimeOffset(at, TimeSpan.Zero) : null;
    }

    public async Task<JobInfo?> GetJobAsync(string tenant, JobId id, CancellationToken cancellationToken)
    {
        await using var command = _db.CreateCommand($"SELECT {JobColumns} FROM jobs WHERE id = @id AND tenant = @tenant;");
        command.Parameters.AddWithValue("id", id.Value);
        command.Parameters.AddWithValue("tenant", tenant);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadJobInfo(reader) : null;
    }

    public async Task<DeadLetterPage> ListDeadAsync(string tenant, DeadLetterFilter filter, int pageSize, JobId? cursor, CancellationToken cancellationToken)
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
    }

    public async Task<DeadLetteredJob?> GetDeadAsync(string tenant, JobId id, CancellationToken cancellationToken)
    {
        await using var connection = await _db.OpenConnectionAsync(cancellationToken);
        JobInfo info;
        byte[] payload;
        await using (var command = new NpgsqlCommand($"SELECT {JobColumns}, payload FROM jobs WHERE id = @id AND tenant = @tenant AND state = 5;", connection))
        {
            command.Parameters.AddWithValue("id", id.Value);
            command.Parameters.AddWithValue("tenant", tenant);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
            {
                return null;
            }

            info = ReadJobInfo(reader);
            payload = (byte[])reader.GetValue(reader.FieldCount - 1);
        }

        var errors = new List<JobAttemptError>();
        await using (var command = new NpgsqlCommand("SELECT attempt, failed_at, silo, error_type, message, stack_trace FROM job_errors WHERE job_id = @id ORDER BY lease;", connection))
        {
            command.Parameters.AddWithValue("id", id.Value);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                errors.Add(new JobAttemptError
                {
                    Attempt = reader.GetInt32(0),
                    FailedAt = Time(reader, 1),
                    Silo = reader.GetString(2),
                    ErrorType = reader.GetString(3),
                    Message = reader.GetString(4),
                    StackTrace = reader.IsDBNull(5) ? null : reader.GetString(5),
                });
            }
        }

        return new DeadLetteredJob { Job = info, Payload = payload, Errors = errors };
    }

    public async Task<long> CountWaitingAsync(QueueKey queue, CancellationToken cancellationToken)
    {
        await using var command = _db.CreateCommand("""
            SELECT (SELECT COUNT(*) FROM jobs WHERE tenant = @tenant AND job_type = @type AND state = 0)
                 + (SELECT COUNT(*) FROM jobs WHERE tenant = @tenant AND job_type = @type AND state = 1);
            """);
        command.Parameters.AddWithValue("tenant", queue.Tenant);
        command.Parameters.AddWithValue("type", queue.JobType);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task<QueuePolicy?> GetQueuePolicyAsync(QueueKey queue, CancellationToken cancellationToken)
    {
        await using var command = _db.CreateCommand("SELECT policy::text FROM queue_policies WHERE tenant = @tenant AND job_type = @type;");
        command.Parameters.AddWithValue("tenant", queue.Tenant);
        command.Parameters.AddWithValue("type", queue.JobType);
        return await command.ExecuteScalarAsync(cancellationToken) is string json ? StoredJson.Read<QueuePolicy>(json) : null;
    }

    public async Task<TenantPolicy?> GetTenantPolicyAsync(string tenant, CancellationToken cancellationToken)
    {
        await using var command = _db.CreateCommand("SELECT policy::text FROM tenant_policies WHERE tenant = @tenant;");
        command.Parameters.AddWithValue("tenant", tenant);
        return await command.ExecuteScalarAsync(cancellationToken) is string json ? StoredJson.Read<TenantPolicy>(json) : null;
    }

    public async Task<IReadOnlyDictionary<string, int>> CountActiveByJobTypeAsync(string tenant, CancellationToken cancellationToken)
    {
        await using var command = _db.CreateCommand("SELECT job_type, COUNT(*)::int FROM jobs WHERE tenant = @tenant AND state = 2 GROUP BY job_type;");
        command.Parameters.AddWithValue("tenant", tenant);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            counts[reader.GetString(0)] = reader.GetInt32(1);
        }

        return counts;
    }

    public async Task<QueueCounts> GetQueueCountsAsync(QueueKey queue, bool includeSucceeded, CancellationToken cancellationToken)
    {
        // One sub-query per state so each uses its partial index; succeeded has none and scans the
        // queue's rows, which is why it is counted only when asked for.
        await using var command = _db.CreateCommand($"""
            SELECT
              (SELECT COUNT(*) FROM jobs WHERE tenant = @tenant AND job_type = @type AND state = 0),
              (SELECT COUNT(*) FROM jobs WHERE tenant = @tenant AND job_type = @type AND state = 1),
              (SELECT COUNT(*) FROM jobs WHERE tenant = @tenant AND job_type = @type AND state = 2),
              {(includeSucceeded ? "(SELECT COUNT(*) FROM jobs WHERE tenant = @tenant AND job_type = @type AND state = 3)" : "NULL")},
              (SELECT COUNT(*) FROM jobs WHERE tenant = @tenant AND state = 5 AND job_type = @type),
              (SELECT MIN(run_at) FROM jobs WHERE tenant = @tenant AND job_type = @type AND state = 1);
            """);
        command.Parameters.AddWithValue("tenant", queue.Tenant);
        command.Parameters.AddWithValue("type", queue.JobType);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new QueueCounts(
            reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.IsDBNull(3) ? null : reader.GetInt64(3), reader.GetInt64(4),
            reader.IsDBNull(5) ? null : Time(reader, 5));
    }

    public async Task<IReadOnlyList<QueueKey>> ListQueuesWithPendingWorkAsync(CancellationToken cancellationToken)
    {
        await using var command = _db.CreateCommand("""
            SELECT DISTINCT tenant, job_type FROM jobs WHERE state = 0
            UNION SELECT DISTINCT tenant, job_type FROM jobs WHERE state = 1
            UNION SELECT DISTINCT tenant, job_type FROM jobs WHERE state = 2;
            """);
        var queues = new List<QueueKey>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            queues.Add(new QueueKey(reader.GetString(0), reader.GetString(1)));
        }

        return queues;
    }

    private static string DeadFilterSql(NpgsqlCommand command, string tenant, DeadLetterFilter filter, JobId? id, JobId? before = null) =>
        DeadLetterSql.Where(tenant, filter, id, before, "strpos", (name, value) => command.Parameters.AddWithValue(name.TrimStart('@'), value), i => i.Value, t => Utc(t));

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
