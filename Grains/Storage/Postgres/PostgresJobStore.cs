using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace OrleansJobs.Storage.Postgres;

/// <summary>
/// The production job store. Every group commit is one transaction of a few statements whose
/// rows travel as arrays (<c>unnest</c>), so a flush of 1 000 writes costs a handful of round
/// trips, not 1 000. Statements are auto-prepared; <c>plan_cache_mode=force_custom_plan</c> keeps
/// the array joins on their indexes however the table's statistics drift.
/// </summary>
internal sealed partial class PostgresJobStore : IJobStore, IAsyncDisposable
{
    private const string JobColumns =
        "id, tenant, job_type, state, priority, attempt, max_attempts, created_at, run_at, started_at, finished_at, last_error, replay_count, idempotency_key, lease_owner";

    private readonly NpgsqlDataSource _db;

    public PostgresJobStore(IOptions<PostgresStoreOptions> options)
    {
        var settings = options.Value;
        if (string.IsNullOrWhiteSpace(settings.ConnectionString))
        {
            throw new InvalidOperationException("PostgresStoreOptions.ConnectionString is required.");
        }

        var connection = new NpgsqlConnectionStringBuilder(settings.ConnectionString)
        {
            MaxPoolSize = settings.MaxPoolSize,
            MaxAutoPrepare = 64,
            AutoPrepareMinUsages = 2,
            Options = "-c plan_cache_mode=force_custom_plan",
        };
        _db = NpgsqlDataSource.Create(connection);
        ConcurrentWrites = Math.Max(1, settings.ConcurrentWrites);
    }

    public int ConcurrentWrites { get; }

    public Task InitializeAsync(CancellationToken cancellationToken) =>
        PostgresMigrator.ApplyAsync(_db, "postgres/jobs", "jobs_schema_version", cancellationToken);

    public async Task<JobWriteResult> WriteAsync(JobWriteBatch batch, CancellationToken cancellationToken)
    {
        await using var connection = await _db.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        var result = new JobWriteResult
        {
            Inserts = await InsertAsync(connection, batch.Inserts, cancellationToken),
            Leases = await LeaseAsync(connection, batch.Leases, cancellationToken),
            Completions = await CompleteAsync(connection, batch.Completions, cancellationToken),
            Retries = await FailAsync(connection, batch.Retries.Select(r => new Failure(r.Id, r.Lease, r.Error, JobState.Scheduled, r.RunAt)).ToList(), cancellationToken),
            DeadLetters = await FailAsync(connection, batch.DeadLetters.Select(d => new Failure(d.Id, d.Lease, d.Error, JobState.Dead, d.Error.FailedAt)).ToList(), cancellationToken),
            Cancellations = await FailAsync(connection, batch.Cancellations.Select(c => new Failure(c.Id, c.Lease, c.Reason, JobState.Cancelled, c.Reason.FailedAt)).ToList(), cancellationToken),
        };
        await tx.CommitAsync(cancellationToken);
        return result;
    }

    private static async Task<InsertOutcome[]> InsertAsync(NpgsqlConnection connection, List<NewJob> jobs, CancellationToken cancellationToken)
    {
        var outcomes = new InsertOutcome[jobs.Count];
        if (jobs.Count == 0)
        {
            return outcomes;
        }

        // A key used twice in one batch is claimed by its first job; the others answer with that job.
        var claimants = new Dictionary<(string Tenant, string Key), int>();
        var repeats = new List<(int Index, int Claimant)>();
        for (var i = 0; i < jobs.Count; i++)
        {
            if (jobs[i].IdempotencyKey is { } key)
            {
                if (claimants.TryGetValue((jobs[i].Queue.Tenant, key), out var first))
                {
                    repeats.Add((i, first));
                }
                else
                {
                    claimants.Add((jobs[i].Queue.Tenant, key), i);
                }
            }
        }

        var taken = new Dictionary<(string, string), Guid>();
        if (claimants.Count > 0)
        {
            var claim = claimants.Values.Select(i => jobs[i]).ToList();
            var claimed = new HashSet<Guid>();
            await using (var command = new NpgsqlCommand(
                """
                INSERT INTO job_idempotency_keys (tenant, key, job_id, expires_at)
                SELECT * FROM unnest(@tenants, @keys, @ids, @expires)
                ON CONFLICT (tenant, key) DO UPDATE SET job_id = EXCLUDED.job_id, expires_at = EXCLUDED.expires_at
                WHERE job_idempotency_keys.expires_at <= @now
                RETURNING job_id;
                """,
                connection))
            {
                command.Parameters.Add(Array("tenants", claim.Select(j => j.Queue.Tenant), NpgsqlDbType.Text));
                command.Parameters.Add(Array("keys", claim.Select(j => j.IdempotencyKey!), NpgsqlDbType.Text));
                command.Parameters.Add(Array("ids", claim.Select(j => j.Id.Value), NpgsqlDbType.Uuid));
                command.Parameters.Add(Array("expires", claim.Select(j => Utc(j.IdempotencyExpiresAt ?? j.CreatedAt)), NpgsqlDbType.TimestampTz));
                command.Parameters.Add(new NpgsqlParameter<DateTime>("now", Utc(claim.Max(j => j.CreatedAt))));
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    claimed.Add(reader.GetGuid(0));
                }
            }

            var lost = claim.Where(j => !claimed.Contains(j.Id.Value)).ToList();
            if (lost.Count > 0)
            {
                await using var command = new NpgsqlCommand(
                    """
                    SELECT k.tenant, k.key, k.job_id FROM job_idempotency_keys k
                    JOIN unnest(@tenants, @keys) AS u(tenant, key) ON k.tenant = u.tenant AND k.key = u.key;
                    """,
                    connection);
                command.Parameters.Add(Array("tenants", lost.Select(j => j.Queue.Tenant), NpgsqlDbType.Text));
                command.Parameters.Add(Array("keys", lost.Select(j => j.IdempotencyKey!), NpgsqlDbType.Text));
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    taken[(reader.GetString(0), reader.GetString(1))] = reader.GetGuid(2);
                }
            }
        }

        var inserts = new List<NewJob>(jobs.Count);
        for (var i = 0; i < jobs.Count; i++)
        {
            var job = jobs[i];
            if (job.IdempotencyKey is { } key && taken.TryGetValue((job.Queue.Tenant, key), out var existing))
            {
                outcomes[i] = new InsertOutcome(new JobId(existing), Created: false);
            }
            else if (job.IdempotencyKey is null || claimants[(job.Queue.Tenant, job.IdempotencyKey)] == i)
            {
                outcomes[i] = new InsertOutcome(job.Id, Created: true);
                inserts.Add(job);
            }
        }

        foreach (var (index, claimant) in repeats)
        {
            outcomes[index] = outcomes[claimant] with { Created = false };
        }

        if (inserts.Count > 0)
        {
            await using var command = new NpgsqlCommand(
                """
                INSERT INTO jobs (id, tenant, job_type, state, priority, created_at, run_at, max_attempts, timeout_ms, idempotency_key, payload, trace_parent)
                SELECT * FROM unnest(@ids, @tenants, @types, @states, @priorities, @created, @run, @max, @timeout, @keys, @payloads, @traces);
                """,
                connection);
            command.Parameters.Add(Array("ids", inserts.Select(j => j.Id.Value), NpgsqlDbType.Uuid));
            command.Parameters.Add(Array("tenants", inserts.Select(j => j.Queue.Tenant), NpgsqlDbType.Text));
            command.Parameters.Add(Array("types", inserts.Select(j => j.Queue.JobType), NpgsqlDbType.Text));
            command.Parameters.Add(Array("states", inserts.Select(j => (short)j.State), NpgsqlDbType.Smallint));
            command.Parameters.Add(Array("priorities", inserts.Select(j => (short)j.Priority), NpgsqlDbType.Smallint));
            command.Parameters.Add(Array("created", inserts.Select(j => Utc(j.CreatedAt)), NpgsqlDbType.TimestampTz));
            command.Parameters.Add(Array("run", inserts.Select(j => Utc(j.RunAt)), NpgsqlDbType.TimestampTz));
            command.Parameters.Add(Array("max", inserts.Select(j => j.MaxAttempts), NpgsqlDbType.Integer));
            command.Parameters.Add(Array("timeout", inserts.Select(j => (long)j.Timeout.TotalMilliseconds), NpgsqlDbType.Bigint));
            command.Parameters.Add(Array("keys", inserts.Select(j => j.IdempotencyKey), NpgsqlDbType.Text));
            command.Parameters.Add(Array("payloads", inserts.Select(j => j.Payload), NpgsqlDbType.Bytea));
            command.Parameters.Add(Array("traces", inserts.Select(j => j.TraceParent), NpgsqlDbType.Text));
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        return outcomes;
    }

    private static async Task<LeasedJob?[]> LeaseAsync(NpgsqlConnection connection, List<LeaseRequest> requests, CancellationToken cancellationToken)
    {
        var leased = new LeasedJob?[requests.Count];
        if (requests.Count == 0)
        {
            return leased;
        }

        await using var command = new NpgsqlCommand(
            """
            UPDATE jobs AS j SET state = 2, lease = j.lease + 1, attempt = j.attempt + 1, lease_owner = r.owner, started_at = r.started,
                lease_expires_at = r.started + (j.timeout_ms + r.margin_ms) * interval '1 millisecond'
            FROM unnest(@ids, @owners, @started, @margins) AS r(id, owner, started, margin_ms)
            WHERE j.id = r.id AND j.state = 1
            RETURNING j.id, j.tenant, j.job_type, j.lease, j.attempt, j.max_attempts, j.timeout_ms, j.created_at, j.payload, j.trace_parent;
            """,
            connection);
        command.Parameters.Add(Array("ids", requests.Select(r => r.Id.Value), NpgsqlDbType.Uuid));
        command.Parameters.Add(Array("owners", requests.Select(r => r.Owner), NpgsqlDbType.Text));
        command.Parameters.Add(Array("started", requests.Select(r => Utc(r.StartedAt)), NpgsqlDbType.TimestampTz));
        command.Parameters.Add(Array("margins", requests.Select(r => (long)r.ExpiryMargin.TotalMilliseconds), NpgsqlDbType.Bigint));
        var byId = new Dictionary<Guid, LeasedJob>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var id = reader.GetGuid(0);
                byId[id] = new LeasedJob(
                    new JobId(id),
                    new QueueKey(reader.GetString(1), reader.GetString(2)),
                    reader.GetInt64(3),
                    reader.GetInt32(4),
                    reader.GetInt32(5),
                    TimeSpan.FromMilliseconds(reader.GetInt64(6)),
                    Time(reader, 7),
                    (byte[])reader.GetValue(8),
                    reader.IsDBNull(9) ? null : reader.GetString(9));
            }
        }

        for (var i = 0; i < requests.Count; i++)
        {
            leased[i] = byId.GetValueOrDefault(requests[i].Id.Value);
        }

        return leased;
    }

    private static async Task<bool[]> CompleteAsync(NpgsqlConnection connection, List<Completion> completions, CancellationToken cancellationToken)
    {
        if (completions.Count == 0)
        {
            return [];
        }

        await using var command = new NpgsqlCommand(
            """
            UPDATE jobs AS j SET state = 3, finished_at = r.finished, lease_expires_at = NULL
            FROM unnest(@ids, @leases, @finished) AS r(id, lease, finished)
            WHERE j.id = r.id AND j.lease = r.lease AND j.state = 2
            RETURNING j.id, j.lease;
            """,
            connection);
        command.Parameters.Add(Array("ids", completions.Select(c => c.Id.Value), NpgsqlDbType.Uuid));
        command.Parameters.Add(Array("leases", completions.Select(c => c.Lease), NpgsqlDbType.Bigint));
        command.Parameters.Add(Array("finished", completions.Select(c => Utc(c.FinishedAt)), NpgsqlDbType.TimestampTz));
        var done = await ReadKeysAsync(command, cancellationToken);
        return completions.Select(c => done.Contains((c.Id.Value, c.Lease))).ToArray();
    }

    private readonly record struct Failure(JobId Id, long Lease, AttemptError Error, JobState Next, DateTimeOffset At);

    private static async Task<bool[]> FailAsync(NpgsqlConnection connection, List<Failure> failures, CancellationToken cancellationToken)
    {
        if (failures.Count == 0)
        {
            return [];
        }

        // A retry moves run_at to the next attempt's time; a dead letter or a cancellation records when it ended.
        // The error row is written only where the guarded update took effect.
        await using var command = new NpgsqlCommand(
            """
            WITH r AS (
                SELECT * FROM unnest(@ids, @leases, @states, @at, @attempts, @failed, @silos, @types, @messages, @stacks)
                    AS r(id, lease, next_state, at, attempt, failed_at, silo, error_type, message, stack_trace)),
            changed AS (
                UPDATE jobs AS j SET state = r.next_state, last_error = r.message, lease_expires_at = NULL,
                    run_at = CASE WHEN r.next_state = 0 THEN r.at ELSE j.run_at END,
                    finished_at = CASE WHEN r.next_state IN (4, 5) THEN r.at ELSE j.finished_at END
                FROM r WHERE j.id = r.id AND j.lease = r.lease AND j.state = 2
                RETURNING j.id, j.lease)
            INSERT INTO job_errors (job_id, lease, attempt, failed_at, silo, error_type, message, stack_trace)
            SELECT r.id, r.lease, r.attempt, r.failed_at, r.silo, r.error_type, r.message, r.stack_trace
            FROM r JOIN changed ON changed.id = r.id AND changed.lease = r.lease
            ON CONFLICT (job_id, lease) DO NOTHING
            RETURNING job_id, lease;
            """,
            connection);
        command.Parameters.Add(Array("ids", failures.Select(f => f.Id.Value), NpgsqlDbType.Uuid));
        command.Parameters.Add(Array("leases", failures.Select(f => f.Lease), NpgsqlDbType.Bigint));
        command.Parameters.Add(Array("states", failures.Select(f => (short)f.Next), NpgsqlDbType.Smallint));
        command.Parameters.Add(Array("at", failures.Select(f => Utc(f.At)), NpgsqlDbType.TimestampTz));
        command.Parameters.Add(Array("attempts", failures.Select(f => f.Error.Attempt), NpgsqlDbType.Integer));
        command.Parameters.Add(Array("failed", failures.Select(f => Utc(f.Error.FailedAt)), NpgsqlDbType.TimestampTz));
        command.Parameters.Add(Array("silos", failures.Select(f => f.Error.Silo), NpgsqlDbType.Text));
        command.Parameters.Add(Array("types", failures.Select(f => f.Error.ErrorType), NpgsqlDbType.Text));
        command.Parameters.Add(Array("messages", failures.Select(f => f.Error.Message), NpgsqlDbType.Text));
        command.Parameters.Add(Array("stacks", failures.Select(f => f.Error.StackTrace), NpgsqlDbType.Text));
        var done = await ReadKeysAsync(command, cancellationToken);
        return failures.Select(f => done.Contains((f.Id.Value, f.Lease))).ToArray();
    }

    private static async Task<HashSet<(Guid, long)>> ReadKeysAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var keys = new HashSet<(Guid, long)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            keys.Add((reader.GetGuid(0), reader.GetInt64(1)));
        }

        return keys;
    }

    public async Task<int> PromoteDueAsync(QueueKey queue, DateTimeOffset now, int limit, CancellationToken cancellationToken) =>
        await ExecuteAsync(
            """
            UPDATE jobs SET state = 1
            WHERE id IN (SELECT id FROM jobs WHERE tenant = @tenant AND job_type = @type AND state = 0 AND run_at <= @now ORDER BY run_at LIMIT @limit);
            """,
            cancellationToken, ("tenant", queue.Tenant), ("type", queue.JobType), ("now", Utc(now)), ("limit", limit));

    public async Task<int> RequeueActiveAsync(QueueKey queue, DateTimeOffset? leaseExpiredBefore, CancellationToken cancellationToken) =>
        leaseExpiredBefore is { } before
            ? await ExecuteAsync(
                "UPDATE jobs SET state = 1, lease_owner = NULL, lease_expires_at = NULL WHERE tenant = @tenant AND job_type = @type AND state = 2 AND lease_expires_at < @before;",
                cancellationToken, ("tenant", queue.Tenant), ("type", queue.JobType), ("before", Utc(before)))
            : await ExecuteAsync(
                "UPDATE jobs SET state = 1, lease_owner = NULL, lease_expires_at = NULL WHERE tenant = @tenant AND job_type = @type AND state = 2;",
                cancellationToken, ("tenant", queue.Tenant), ("type", queue.JobType));

    public async Task<bool> CancelAsync(string tenant, JobId id, DateTimeOffset now, CancellationToken cancellationToken) =>
        await ExecuteAsync(
            "UPDATE jobs SET state = 4, finished_at = @now WHERE id = @id AND tenant = @tenant AND state IN (0, 1);",
            cancellationToken, ("id", id.Value), ("tenant", tenant), ("now", Utc(now))) == 1;

    public async Task<IReadOnlyList<JobId>> ShedAsync(QueueKey queue, JobPriority above, int count, string reason, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var command = _db.CreateCommand("""
            WITH victims AS (
                SELECT id FROM jobs WHERE tenant = @tenant AND job_type = @type AND state = 1 AND priority > @above
                ORDER BY priority DESC, run_at DESC, id DESC LIMIT @count)
            UPDATE jobs SET state = 4, finished_at = @now, last_error = @reason
            WHERE id IN (SELECT id FROM victims) AND (SELECT COUNT(*) FROM victims) = @count
            RETURNING id;
            """);
        command.Parameters.AddWithValue("tenant", queue.Tenant);
        command.Parameters.AddWithValue("type", queue.JobType);
        command.Parameters.AddWithValue("above", (short)above);
        command.Parameters.AddWithValue("count", count);
        command.Parameters.AddWithValue("reason", reason);
        command.Parameters.AddWithValue("now", Utc(now));
        var shed = new List<JobId>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            shed.Add(new JobId(reader.GetGuid(0)));
        }

        return shed;
    }

    public async Task SetQueuePolicyAsync(QueueKey queue, QueuePolicy policy, DateTimeOffset now, CancellationToken cancellationToken) =>
        await ExecuteAsync(
            """
            INSERT INTO queue_policies (tenant, job_type, policy, updated_at) VALUES (@tenant, @type, @policy::jsonb, @now)
            ON CONFLICT (tenant, job_type) DO UPDATE SET policy = EXCLUDED.policy, updated_at = EXCLUDED.updated_at;
            """,
            cancellationToken, ("tenant", queue.Tenant), ("type", queue.JobType), ("policy", StoredJson.Write(policy)), ("now", Utc(now)));

    public async Task SetTenantPolicyAsync(string tenant, TenantPolicy policy, DateTimeOffset now, CancellationToken cancellationToken) =>
        await ExecuteAsync(
            """
            INSERT INTO tenant_policies (tenant, policy, updated_at) VALUES (@tenant, @policy::jsonb, @now)
            ON CONFLICT (tenant) DO UPDATE SET policy = EXCLUDED.policy, updated_at = EXCLUDED.updated_at;
            """,
            cancellationToken, ("tenant", tenant), ("policy", StoredJson.Write(policy)), ("now", Utc(now)));

    public async Task<IReadOnlyList<ReplayedJob>> ReplayAsync(string tenant, JobId? id, DeadLetterFilter filter, int limit, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var command = _db.CreateCommand();
        var where = DeadFilterSql(command, tenant, filter, id);
        command.CommandText = $"""
            UPDATE jobs SET state = 1, attempt = 0, run_at = @now, finished_at = NULL,
                replay_count = replay_count + 1, last_replayed_at = @now
            WHERE id IN (SELECT id FROM jobs WHERE {where} ORDER BY id LIMIT @limit)
            RETURNING id, job_type;
            """;
        command.Parameters.AddWithValue("now", Utc(now));
        command.Parameters.AddWithValue("limit", limit);
        var replayed = new List<ReplayedJob>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            replayed.Add(new ReplayedJob(new JobId(reader.GetGuid(0)), new QueueKey(tenant, reader.GetString(1))));
        }

        return replayed;
    }

    private async Task<int> ExecuteAsync(string sql, CancellationToken cancellationToken, params (string Name, object Value)[] parameters)
    {
        await using var command = _db.CreateCommand(sql);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static NpgsqlParameter Array<T>(string name, IEnumerable<T> values, NpgsqlDbType elementType) =>
        new(name, NpgsqlDbType.Array | elementType) { Value = values.ToArray() };

    /// <summary>Npgsql writes timestamptz only from UTC values.</summary>
    private static DateTime Utc(DateTimeOffset time) => time.UtcDateTime;

    private static DateTimeOffset Time(NpgsqlDataReader reader, int ordinal) => new(reader.GetDateTime(ordinal), TimeSpan.Zero);

    public ValueTask DisposeAsync() => _db.DisposeAsync();
}
