using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace OrleansJobs.Storage.Sqlite;

/// <summary>
/// The embedded job store: one SQLite file in WAL mode. All writes go through one connection in
/// turn (SQLite has one writer at a time anyway); reads use pooled connections beside it.
/// </summary>
internal sealed partial class SqliteJobStore : IJobStore, IAsyncDisposable
{
    private const string JobColumns =
        "id, tenant, job_type, state, priority, attempt, max_attempts, created_at, run_at, started_at, finished_at, last_error, replay_count, idempotency_key, lease_owner";

    private readonly string _connectionString;
    private readonly SqliteStoreOptions _options;
    private readonly SemaphoreSlim _writeLock = new(1, 1);

    /// <summary>SQLite has one writer: parallel flushes would only wait on each other with smaller batches.</summary>
    public int ConcurrentWrites => 1;
    private SqliteConnection? _writer;

    public SqliteJobStore(IOptions<SqliteStoreOptions> options)
    {
        _options = options.Value;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = _options.Path,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    public Task InitializeAsync(CancellationToken cancellationToken) => MigrateAsync(upTo: null, cancellationToken);

    /// <summary>Brings the schema up to version <paramref name="upTo"/> (default: the latest).</summary>
    internal async Task MigrateAsync(int? upTo, CancellationToken cancellationToken)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(_options.Path));
        if (!string.IsNullOrEmpty(folder))
        {
            Directory.CreateDirectory(folder);
        }

        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            var writer = await OpenWriterAsync(cancellationToken);
            await ExecuteAsync(writer, "PRAGMA journal_mode = WAL;", cancellationToken);
            await ExecuteAsync(writer, "CREATE TABLE IF NOT EXISTS jobs_schema_version (version INTEGER NOT NULL);", cancellationToken);
            await using var read = writer.CreateCommand();
            read.CommandText = "SELECT COALESCE(MAX(version), 0) FROM jobs_schema_version;";
            var current = Convert.ToInt32(await read.ExecuteScalarAsync(cancellationToken));
            var migrations = SqlMigrations.Load(typeof(SqliteJobStore).Assembly, "sqlite");
            for (var version = current + 1; version <= (upTo ?? migrations.Count); version++)
            {
                await using var tx = writer.BeginTransaction();
                await ExecuteAsync(writer, migrations[version - 1], cancellationToken);
                await ExecuteAsync(writer, $"INSERT INTO jobs_schema_version (version) VALUES ({version});", cancellationToken);
                await tx.CommitAsync(cancellationToken);
            }
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public async Task<JobWriteResult> WriteAsync(JobWriteBatch batch, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            var writer = await OpenWriterAsync(cancellationToken);
            await using var tx = writer.BeginTransaction();
            // The documented order (JobWriteBatch); an object initializer would run the inserts first.
            var leases = Lease(writer, batch.Leases);
            var completions = Complete(writer, batch.Completions);
            var retries = Fail(writer, batch.Retries.Select(r => (r.Id, r.Lease, r.Error, JobState.Scheduled, r.RunAt, r.Ran)).ToList());
            var snoozes = Snooze(writer, batch.Snoozes);
            var deadLetters = Fail(writer, batch.DeadLetters.Select(d => (d.Id, d.Lease, d.Error, JobState.Dead, d.Error.FailedAt, d.Ran)).ToList());
            var cancellations = Fail(writer, batch.Cancellations.Select(c => (c.Id, c.Lease, c.Reason, JobState.Cancelled, c.Reason.FailedAt, c.Ran)).ToList());
            var promotions = await PromoteAsync(writer, batch.Promotions, cancellationToken);
            var requeues = Requeue(writer, batch.Requeues);
            var sheds = Shed(writer, batch.Sheds);
            var agings = await AgeAsync(writer, batch.Agings, cancellationToken);
            var cancels = Cancel(writer, batch.Cancels);
            var result = new JobWriteResult
            {
                Leases = leases,
                Completions = completions,
                Retries = retries,
                Snoozes = snoozes,
                DeadLetters = deadLetters,
                Cancellations = cancellations,
                Promotions = promotions,
                Requeues = requeues,
                Sheds = sheds,
                Agings = agings,
                Cancels = cancels,
                Inserts = Insert(writer, batch.Inserts),
            };
            tx.Commit();
            return result;
        }
        catch
        {
            // A failed transaction may leave the connection in a bad state; start the next on a fresh one.
            await ResetWriterAsync();
            throw;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private static InsertOutcome[] Insert(SqliteConnection db, List<NewJob> jobs)
    {
        var outcomes = new InsertOutcome[jobs.Count];
        if (jobs.Count == 0)
        {
            return outcomes;
        }

        using var keys = new KeyClaims(db);
        using var insert = Command(db, """
            INSERT INTO jobs (id, tenant, job_type, state, priority, created_at, run_at, max_attempts, timeout_ms, idempotency_key, payload, trace_parent,
                attempt, lease, lease_owner, started_at, lease_expires_at, partition_key)
            VALUES (@id, @tenant, @type, @state, @priority, @created, @run, @max, @timeout, @key, @payload, @trace,
                @first, @first, @owner, @started, @started + @timeout + @margin, @partition)
            ON CONFLICT (id) DO NOTHING;
            """, "@id", "@tenant", "@type", "@state", "@priority", "@created", "@run", "@max", "@timeout", "@key", "@payload", "@trace", "@first", "@owner", "@started", "@margin", "@partition");

        for (var i = 0; i < jobs.Count; i++)
        {
            var job = jobs[i];
            if (job.IdempotencyKey is { } key && ((job.KeyMode == DedupMode.Debounce ? keys.Debounce(job, key) : null) ?? keys.Claim(job, key)) is { } holder)
            {
                outcomes[i] = new InsertOutcome(holder, Created: false);
                continue;
            }

            Bind(insert, job.Id.ToBytes(), job.Queue.Tenant, job.Queue.JobType, (int)job.State, (int)job.Priority, Ms(job.CreatedAt), Ms(job.RunAt),
                job.MaxAttempts, (long)job.Timeout.TotalMilliseconds, job.IdempotencyKey, job.Payload, job.TraceParent,
                job.Start is null ? 0 : 1, job.Start?.Owner, job.Start is { } start ? Ms(start.StartedAt) : (long?)null, (long?)job.Start?.ExpiryMargin.TotalMilliseconds,
                job.PartitionKey);
            // An id already stored is a client sending its enqueue again: that job stays as it is.
            outcomes[i] = new InsertOutcome(job.Id, Created: insert.ExecuteNonQuery() == 1);
        }

        return outcomes;
    }

    /// <summary>The statements that claim idempotency keys, prepared on first use: most batches have no keys.</summary>
    private sealed class KeyClaims(SqliteConnection db) : IDisposable
    {
        // Takes over a throttle key at its expiry, a debounce key once its job is no longer scheduled,
        // and any other when its job is gone and the key is past its first expiry, or its job ended at
        // least the key's own retention ago.
        private const string ClaimSql = """
            INSERT INTO job_idempotency_keys (tenant, key, job_id, expires_at, retention_ms, mode) VALUES (@tenant, @key, @id, @expires, @retention, @mode)
            ON CONFLICT (tenant, key) DO UPDATE
            SET job_id = excluded.job_id, expires_at = excluded.expires_at, retention_ms = excluded.retention_ms, mode = excluded.mode
            WHERE CASE job_idempotency_keys.mode
                WHEN 1 THEN job_idempotency_keys.expires_at <= @now
                WHEN 2 THEN NOT EXISTS (SELECT 1 FROM jobs j WHERE j.id = job_idempotency_keys.job_id AND j.state = 0)
                ELSE COALESCE(
                    (SELECT COALESCE(j.finished_at + job_idempotency_keys.retention_ms <= @now, 0) FROM jobs j WHERE j.id = job_idempotency_keys.job_id),
                    job_idempotency_keys.expires_at <= @now)
            END;
            """;

        // A debounce key whose job still waits scheduled in the same queue: the job takes the new payload and run-at.
        private const string DebounceSql = """
            UPDATE jobs SET payload = @payload, run_at = @run, trace_parent = @trace
            WHERE id = (SELECT job_id FROM job_idempotency_keys WHERE tenant = @tenant AND key = @key AND mode = 2)
              AND tenant = @tenant AND job_type = @type AND state = 0
            RETURNING id;
            """;

        private SqliteCommand? _claim;
        private SqliteCommand? _holder;
        private SqliteCommand? _debounce;
        private SqliteCommand? _extend;

        /// <summary>Gives the debounce key's scheduled job this submission's payload and run-at; returns that job, or null when the key has none waiting.</summary>
        public JobId? Debounce(NewJob job, string key)
        {
            _debounce ??= Command(db, DebounceSql, "@tenant", "@key", "@type", "@payload", "@run", "@trace");
            Bind(_debounce, job.Queue.Tenant, key, job.Queue.JobType, job.Payload, Ms(job.RunAt), job.TraceParent);
            if (_debounce.ExecuteScalar() is not byte[] id)
            {
                return null;
            }

            _extend ??= Command(db, "UPDATE job_idempotency_keys SET expires_at = @expires WHERE tenant = @tenant AND key = @key;", "@expires", "@tenant", "@key");
            Bind(_extend, Ms(job.CreatedAt + (job.IdempotencyRetention ?? TimeSpan.Zero)), job.Queue.Tenant, key);
            _extend.ExecuteNonQuery();
            return JobId.FromBytes(id);
        }

        /// <summary>Claims the job's key; returns the job that holds it instead, or null when this one now does.</summary>
        public JobId? Claim(NewJob job, string key)
        {
            _claim ??= Command(db, ClaimSql, "@tenant", "@key", "@id", "@expires", "@retention", "@mode", "@now");
            var retention = job.IdempotencyRetention ?? TimeSpan.Zero;
            Bind(_claim, job.Queue.Tenant, key, job.Id.ToBytes(), Ms(job.CreatedAt + retention), (long)retention.TotalMilliseconds, (int)job.KeyMode, Ms(job.CreatedAt));
            if (_claim.ExecuteNonQuery() == 1)
            {
                return null;
            }

            _holder ??= Command(db, "SELECT job_id FROM job_idempotency_keys WHERE tenant = @tenant AND key = @key;", "@tenant", "@key");
            Bind(_holder, job.Queue.Tenant, key);
            return JobId.FromBytes((byte[])_holder.ExecuteScalar()!);
        }

        public void Dispose()
        {
            _claim?.Dispose();
            _holder?.Dispose();
            _debounce?.Dispose();
            _extend?.Dispose();
        }
    }

    private static LeasedJob?[] Lease(SqliteConnection db, List<LeaseRequest> requests)
    {
        var leased = new LeasedJob?[requests.Count];
        if (requests.Count == 0)
        {
            return leased;
        }

        using var command = Command(db, """
            UPDATE jobs SET state = 2, lease = lease + 1, attempt = attempt + 1,
                lease_owner = @owner, started_at = @started, lease_expires_at = @started + timeout_ms + @margin
            WHERE id = @id AND state = 1
            RETURNING tenant, job_type, lease, attempt, max_attempts, timeout_ms, created_at, payload, trace_parent;
            """, "@id", "@owner", "@started", "@margin");
        for (var i = 0; i < requests.Count; i++)
        {
            var request = requests[i];
            Bind(command, request.Id.ToBytes(), request.Owner, Ms(request.StartedAt), (long)request.ExpiryMargin.TotalMilliseconds);
            using var reader = command.ExecuteReader();
            if (reader.Read())
            {
                leased[i] = new LeasedJob(
                    request.Id,
                    new QueueKey(reader.GetString(0), reader.GetString(1)),
                    reader.GetInt64(2),
                    reader.GetInt32(3),
                    reader.GetInt32(4),
                    TimeSpan.FromMilliseconds(reader.GetInt64(5)),
                    Time(reader.GetInt64(6)),
                    (byte[])reader.GetValue(7),
                    reader.IsDBNull(8) ? null : reader.GetString(8));
            }
        }

        return leased;
    }

    public async Task SetQueuePolicyAsync(QueueKey queue, QueuePolicy policy, DateTimeOffset now, CancellationToken cancellationToken) =>
        await WriteOneAsync("""
            INSERT INTO queue_policies (tenant, job_type, policy, updated_at) VALUES (@tenant, @type, @policy, @now)
            ON CONFLICT (tenant, job_type) DO UPDATE SET policy = excluded.policy, updated_at = excluded.updated_at;
            """, cancellationToken, ("@tenant", queue.Tenant), ("@type", queue.JobType), ("@policy", StoredJson.Write(policy)), ("@now", Ms(now)));

    public async Task SetQueuePausedAsync(QueueKey queue, DateTimeOffset? pausedAt, DateTimeOffset now, CancellationToken cancellationToken) =>
        await WriteOneAsync("""
            INSERT INTO queue_policies (tenant, job_type, policy, updated_at, paused_at) VALUES (@tenant, @type, '{}', @now, @paused)
            ON CONFLICT (tenant, job_type) DO UPDATE SET paused_at = excluded.paused_at, updated_at = excluded.updated_at;
            """, cancellationToken, ("@tenant", queue.Tenant), ("@type", queue.JobType), ("@now", Ms(now)), ("@paused", pausedAt is { } at ? (object)Ms(at) : DBNull.Value));

    public async Task SetTenantPolicyAsync(string tenant, TenantPolicy policy, DateTimeOffset now, CancellationToken cancellationToken) =>
        await WriteOneAsync("""
            INSERT INTO tenant_policies (tenant, policy, updated_at) VALUES (@tenant, @policy, @now)
            ON CONFLICT (tenant) DO UPDATE SET policy = excluded.policy, updated_at = excluded.updated_at;
            """, cancellationToken, ("@tenant", tenant), ("@policy", StoredJson.Write(policy)), ("@now", Ms(now)));

    public async Task SetTenantPausedAsync(string tenant, DateTimeOffset? pausedAt, DateTimeOffset now, CancellationToken cancellationToken) =>
        await WriteOneAsync("""
            INSERT INTO tenant_policies (tenant, policy, updated_at, paused_at) VALUES (@tenant, '{}', @now, @paused)
            ON CONFLICT (tenant) DO UPDATE SET paused_at = excluded.paused_at, updated_at = excluded.updated_at;
            """, cancellationToken, ("@tenant", tenant), ("@now", Ms(now)), ("@paused", pausedAt is { } at ? (object)Ms(at) : DBNull.Value));

    public async Task<IReadOnlyList<ReplayedJob>> ReplayAsync(DeadLetterReplay replay, CancellationToken cancellationToken)
    {
        var (tenant, id, filter, limit, now) = (replay.Tenant, replay.Id, replay.Filter, replay.Limit, replay.Now);
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            var writer = await OpenWriterAsync(cancellationToken);
            await using var command = writer.CreateCommand();
            var where = DeadFilterSql(command, tenant, filter, id);
            command.CommandText = $"""
                UPDATE jobs SET state = 1, attempt = 0, run_at = @now, finished_at = NULL,
                    replay_count = replay_count + 1, last_replayed_at = @now
                WHERE id IN (SELECT id FROM jobs WHERE {where} ORDER BY id LIMIT @limit)
                RETURNING id, job_type;
                """;
            command.Parameters.AddWithValue("@now", Ms(now));
            command.Parameters.AddWithValue("@limit", limit);
            var replayed = new List<ReplayedJob>();
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                replayed.Add(new ReplayedJob(JobId.FromBytes((byte[])reader.GetValue(0)), new QueueKey(tenant, reader.GetString(1))));
            }

            return replayed;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private async Task<int> WriteOneAsync(string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            var writer = await OpenWriterAsync(cancellationToken);
            await using var command = writer.CreateCommand();
            command.CommandText = sql;
            foreach (var (name, value) in parameters)
            {
                command.Parameters.AddWithValue(name, value ?? DBNull.Value);
            }

            return await command.ExecuteNonQueryAsync(cancellationToken);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private async Task<SqliteConnection> OpenWriterAsync(CancellationToken cancellationToken)
    {
        if (_writer is not null)
        {
            return _writer;
        }

        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        await ExecuteAsync(connection, $"PRAGMA synchronous = {(_options.FsyncOnCommit ? "FULL" : "NORMAL")};", cancellationToken);
        return _writer = connection;
    }

    private async Task ResetWriterAsync()
    {
        if (_writer is { } writer)
        {
            _writer = null;
            await writer.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _writeLock.WaitAsync();
        try
        {
            await ResetWriterAsync();
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private static async Task ExecuteAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static SqliteCommand Command(SqliteConnection db, string sql, params string[] parameterNames)
    {
        var command = db.CreateCommand();
        command.CommandText = sql;
        foreach (var name in parameterNames)
        {
            command.Parameters.Add(new SqliteParameter { ParameterName = name });
        }

        command.Prepare();
        return command;
    }

    private static void Bind(SqliteCommand command, params object?[] values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            command.Parameters[i].Value = values[i] ?? DBNull.Value;
        }
    }

    private static long Ms(DateTimeOffset time) => time.ToUnixTimeMilliseconds();

    private static DateTimeOffset Time(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);
}
