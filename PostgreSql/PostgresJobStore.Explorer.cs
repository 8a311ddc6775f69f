using Npgsql;

namespace OrleansJobs.Storage.Postgres;

/// <summary>The job explorer's reads: one job in full, queues and tenants listed, dead letters counted.</summary>
internal sealed partial class PostgresJobStore
{
    public Task<JobDetail?> GetJobDetailAsync(string tenant, JobId id, CancellationToken cancellationToken) => ReconnectingAsync<JobDetail?>(async () =>
    {
        await using var connection = await _db.OpenConnectionAsync(cancellationToken);
        JobInfo info;
        byte[] payload;
        string? traceParent;
        await using (var command = new NpgsqlCommand($"SELECT {JobColumns}, trace_parent, payload FROM jobs WHERE id = @id AND tenant = @tenant;", connection))
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
            traceParent = reader.IsDBNull(reader.FieldCount - 2) ? null : reader.GetString(reader.FieldCount - 2);
        }

        var errors = new List<JobAttemptError>();
        await using (var command = new NpgsqlCommand(ExplorerSql.Errors, connection))
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
                    StartedAt = reader.IsDBNull(6) ? null : Time(reader, 6),
                    MovedTo = reader.IsDBNull(7) ? null : (JobState)reader.GetInt16(7),
                });
            }
        }

        return new JobDetail(info, payload, errors, traceParent);
    }, readOnly: true);

    public Task<string?> GetJobTenantAsync(JobId id, CancellationToken cancellationToken) => ReconnectingAsync(async () =>
    {
        await using var command = _db.CreateCommand("SELECT tenant FROM jobs WHERE id = @id;");
        command.Parameters.AddWithValue("id", id.Value);
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }, readOnly: true);

    public Task<JobListPage> ListJobsAsync(JobListing listing, CancellationToken cancellationToken) => ReconnectingAsync(async () =>
    {
        await using var command = _db.CreateCommand();
        var clauses = JobListSql.Clauses(listing, TextContains.Like, Bind(command), id => id.Value, time => time.UtcDateTime);
        command.CommandText = $"SELECT {JobColumns}, lease_expires_at FROM jobs WHERE {clauses};";
        var rows = new List<(JobInfo, DateTimeOffset?)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var last = reader.FieldCount - 1;
            rows.Add((ReadJobInfo(reader), reader.IsDBNull(last) ? null : Time(reader, last)));
        }

        return JobListSql.Page(rows, listing);
    }, readOnly: true);

    public Task<JobId?> FindByIdempotencyKeyAsync(string tenant, string key, CancellationToken cancellationToken) => ReconnectingAsync(async () =>
    {
        await using var command = _db.CreateCommand("SELECT job_id FROM job_idempotency_keys WHERE tenant = @tenant AND key = @key;");
        command.Parameters.AddWithValue("tenant", tenant);
        command.Parameters.AddWithValue("key", key);
        return await command.ExecuteScalarAsync(cancellationToken) is Guid id ? new JobId(id) : (JobId?)null;
    }, readOnly: true);

    public Task<int> DeleteJobsAsync(FinishedJobsDeletion deletion, CancellationToken cancellationToken) => ReconnectingAsync(async () =>
    {
        await using var command = _db.CreateCommand();
        var doomed = ExplorerSql.Doomed(deletion, TextContains.Like, Bind(command), id => id.Value, time => time.UtcDateTime);
        command.CommandText = $"""
            WITH doomed AS ({doomed}),
            gone AS (DELETE FROM jobs AS j USING doomed WHERE j.id = doomed.id AND j.state IN (3, 4, 5) RETURNING j.id),
            errors AS (DELETE FROM job_errors AS e USING gone WHERE e.job_id = gone.id)
            SELECT COUNT(*)::int FROM gone;
            """;
        return (int)(await command.ExecuteScalarAsync(cancellationToken))!;
    }, readOnly: false);

    public Task<int> CountDeadAsync(string tenant, DeadLetterFilter filter, int upTo, CancellationToken cancellationToken) => ReconnectingAsync(async () =>
    {
        await using var command = _db.CreateCommand();
        var where = DeadFilterSql(command, tenant, filter, id: null);
        command.CommandText = ExplorerSql.CountUpTo(where, upTo, Bind(command));
        return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
    }, readOnly: true);

    public Task<QueueListPage> ListQueuesAsync(QueueListing listing, CancellationToken cancellationToken) => ReconnectingAsync(async () =>
    {
        await using var command = _db.CreateCommand();
        command.CommandText = ExplorerSql.Queues(listing, Bind(command));
        var rows = await QueueKeyRows.ReadAsync(command, cancellationToken);

        return ExplorerSql.QueuePage(rows, listing.Limit);
    }, readOnly: true);

    public Task<IReadOnlyList<string>> ListJobTypesAsync(string tenant, JobState state, int limit, CancellationToken cancellationToken) => ReconnectingAsync<IReadOnlyList<string>>(async () =>
    {
        await using var command = _db.CreateCommand();
        command.CommandText = ExplorerSql.JobTypes(tenant, state, limit, Bind(command));
        return await ExplorerSql.ReadNamesAsync(command, cancellationToken);
    }, readOnly: true);

    public Task<IReadOnlyDictionary<string, int>> CountQueuesAsync(IReadOnlyList<string> tenants, CancellationToken cancellationToken) => tenants.Count == 0
        ? Task.FromResult<IReadOnlyDictionary<string, int>>(new Dictionary<string, int>())
        : ReconnectingAsync<IReadOnlyDictionary<string, int>>(async () =>
        {
            await using var command = _db.CreateCommand();
            command.CommandText = ExplorerSql.QueueCounts(tenants, Bind(command));
            return await ExplorerSql.ReadCountsAsync(command, cancellationToken);
        }, readOnly: true);

    public Task<IReadOnlyList<string>> ListTenantsAsync(string? after, int limit, CancellationToken cancellationToken) => ReconnectingAsync<IReadOnlyList<string>>(async () =>
    {
        await using var command = _db.CreateCommand();
        command.CommandText = ExplorerSql.Tenants(after, limit, Bind(command));
        return await ExplorerSql.ReadNamesAsync(command, cancellationToken);
    }, readOnly: true);

    private static Action<string, object> Bind(NpgsqlCommand command) => (name, value) => command.Parameters.AddWithValue(name.TrimStart('@'), value);
}
