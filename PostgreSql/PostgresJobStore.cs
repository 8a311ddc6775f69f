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
    private readonly int _maxPoolSize;

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

            // The store leaves no session state behind (its advisory locks are transaction-scoped), so a
            // pooled connection need not be reset: the reset cost every group commit three more statements.
            NoResetOnClose = true,
        };
        _db = NpgsqlDataSource.Create(connection);
        _maxPoolSize = settings.MaxPoolSize;
        ConcurrentWrites = Math.Max(1, settings.ConcurrentWrites);
    }

    public int ConcurrentWrites { get; }

    public Task InitializeAsync(CancellationToken cancellationToken) =>
        PostgresMigrator.ApplyAsync(_db, "postgres/jobs", "jobs_schema_version", cancellationToken);

    public async Task SetQueuePolicyAsync(QueueKey queue, QueuePolicy policy, DateTimeOffset now, CancellationToken cancellationToken) =>
        await ExecuteAsync(
            """
            INSERT INTO queue_policies (tenant, job_type, policy, updated_at) VALUES (@tenant, @type, @policy::jsonb, @now)
            ON CONFLICT (tenant, job_type) DO UPDATE SET policy = EXCLUDED.policy, updated_at = EXCLUDED.updated_at;
            """,
            cancellationToken, ("tenant", queue.Tenant), ("type", queue.JobType), ("policy", StoredJson.Write(policy)), ("now", Utc(now)));

    public async Task SetQueuePausedAsync(QueueKey queue, DateTimeOffset? pausedAt, DateTimeOffset now, CancellationToken cancellationToken) =>
        await ExecuteAsync(
            """
            INSERT INTO queue_policies (tenant, job_type, policy, updated_at, paused_at) VALUES (@tenant, @type, '{}'::jsonb, @now, @paused)
            ON CONFLICT (tenant, job_type) DO UPDATE SET paused_at = EXCLUDED.paused_at, updated_at = EXCLUDED.updated_at;
            """,
            cancellationToken, ("tenant", queue.Tenant), ("type", queue.JobType), ("now", Utc(now)), ("paused", pausedAt is { } at ? (object)Utc(at) : DBNull.Value));

    public async Task SetTenantPolicyAsync(string tenant, TenantPolicy policy, DateTimeOffset now, CancellationToken cancellationToken) =>
        await ExecuteAsync(
            """
            INSERT INTO tenant_policies (tenant, policy, updated_at) VALUES (@tenant, @policy::jsonb, @now)
            ON CONFLICT (tenant) DO UPDATE SET policy = EXCLUDED.policy, updated_at = EXCLUDED.updated_at;
            """,
            cancellationToken, ("tenant", tenant), ("policy", StoredJson.Write(policy)), ("now", Utc(now)));

    public async Task SetTenantPausedAsync(string tenant, DateTimeOffset? pausedAt, DateTimeOffset now, CancellationToken cancellationToken) =>
        await ExecuteAsync(
            """
            INSERT INTO tenant_policies (tenant, policy, updated_at, paused_at) VALUES (@tenant, '{}'::jsonb, @now, @paused)
            ON CONFLICT (tenant) DO UPDATE SET paused_at = EXCLUDED.paused_at, updated_at = EXCLUDED.updated_at;
            """,
            cancellationToken, ("tenant", tenant), ("now", Utc(now)), ("paused", pausedAt is { } at ? (object)Utc(at) : DBNull.Value));

    public async Task<IReadOnlyList<ReplayedJob>> ReplayAsync(DeadLetterReplay replay, CancellationToken cancellationToken)
    {
        var (tenant, id, filter, limit, now) = (replay.Tenant, replay.Id, replay.Filter, replay.Limit, replay.Now);
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

    private Task<int> ExecuteAsync(string sql, CancellationToken cancellationToken, params (string Name, object Value)[] parameters) => ReconnectingAsync(async () =>
    {
        await using var command = _db.CreateCommand(sql);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return await command.ExecuteNonQueryAsync(cancellationToken);
    }, readOnly: false);

    private static NpgsqlBatchCommand Command(string sql, params (string Name, object Value)[] parameters)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return command;
    }

    private static NpgsqlParameter Array<T>(string name, IEnumerable<T> values, NpgsqlDbType elementType) =>
        new(name, NpgsqlDbType.Array | elementType) { Value = values.ToArray() };

    /// <summary>Npgsql writes timestamptz only from UTC values.</summary>
    private static DateTime Utc(DateTimeOffset time) => time.UtcDateTime;

    private static DateTimeOffset Time(NpgsqlDataReader reader, int ordinal) => new(reader.GetDateTime(ordinal), TimeSpan.Zero);

    public ValueTask DisposeAsync() => _db.DisposeAsync();
}
