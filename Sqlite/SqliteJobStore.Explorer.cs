using Microsoft.Data.Sqlite;

namespace OrleansJobs.Storage.Sqlite;

/// <summary>The job explorer's reads: one job in full, queues and tenants listed, dead letters counted.</summary>
internal sealed partial class SqliteJobStore
{
    public async Task<JobDetail?> GetJobDetailAsync(string tenant, JobId id, CancellationToken cancellationToken)
    {
        await using var db = await OpenReaderAsync(cancellationToken);
        await using var command = db.CreateCommand();
        command.CommandText = $"SELECT {JobColumns}, trace_parent, payload FROM jobs WHERE id = @id AND tenant = @tenant;";
        command.Parameters.AddWithValue("@id", id.ToBytes());
        command.Parameters.AddWithValue("@tenant", tenant);
        JobInfo info;
        byte[] payload;
        string? traceParent;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            if (!await reader.ReadAsync(cancellationToken))
            {
                return null;
            }

            info = ReadJobInfo(reader);
            payload = (byte[])reader.GetValue(reader.FieldCount - 1);
            traceParent = reader.IsDBNull(reader.FieldCount - 2) ? null : reader.GetString(reader.FieldCount - 2);
        }

        await using var errors = db.CreateCommand();
        errors.CommandText = ExplorerSql.Errors;
        errors.Parameters.AddWithValue("@id", id.ToBytes());
        var list = new List<JobAttemptError>();
        await using (var reader = await errors.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                list.Add(new JobAttemptError
                {
                    Attempt = reader.GetInt32(0),
                    FailedAt = Time(reader.GetInt64(1)),
                    Silo = reader.GetString(2),
                    ErrorType = reader.GetString(3),
                    Message = reader.GetString(4),
                    StackTrace = reader.IsDBNull(5) ? null : reader.GetString(5),
                    StartedAt = reader.IsDBNull(6) ? null : Time(reader.GetInt64(6)),
                    MovedTo = reader.IsDBNull(7) ? null : (JobState)reader.GetInt16(7),
                });
            }
        }

        return new JobDetail(info, payload, list, traceParent);
    }

    public async Task<string?> GetJobTenantAsync(JobId id, CancellationToken cancellationToken)
    {
        await using var db = await OpenReaderAsync(cancellationToken);
        await using var command = db.CreateCommand();
        command.CommandText = "SELECT tenant FROM jobs WHERE id = @id;";
        command.Parameters.AddWithValue("@id", id.ToBytes());
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }

    public async Task<JobListPage> ListJobsAsync(JobListing listing, CancellationToken cancellationToken)
    {
        await using var db = await OpenReaderAsync(cancellationToken);
        await using var command = db.CreateCommand();
        var clauses = JobListSql.Clauses(listing, TextContains.Instr, Bind(command), id => id.ToBytes(), time => Ms(time));
        command.CommandText = $"SELECT {JobColumns}, lease_expires_at FROM jobs WHERE {clauses};";
        var rows = new List<(JobInfo, DateTimeOffset?)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var last = reader.FieldCount - 1;
            rows.Add((ReadJobInfo(reader), reader.IsDBNull(last) ? null : Time(reader.GetInt64(last))));
        }

        return JobListSql.Page(rows, listing);
    }

    public async Task<JobId?> FindByIdempotencyKeyAsync(string tenant, string key, CancellationToken cancellationToken)
    {
        await using var db = await OpenReaderAsync(cancellationToken);
        await using var command = db.CreateCommand();
        command.CommandText = "SELECT job_id FROM job_idempotency_keys WHERE tenant = @tenant AND key = @key;";
        command.Parameters.AddWithValue("@tenant", tenant);
        command.Parameters.AddWithValue("@key", key);
        return await command.ExecuteScalarAsync(cancellationToken) is byte[] id ? JobId.FromBytes(id) : null;
    }

    public async Task<int> DeleteJobsAsync(FinishedJobsDeletion deletion, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            var writer = await OpenWriterAsync(cancellationToken);
            await using var tx = writer.BeginTransaction();
            await using var command = writer.CreateCommand();
            command.Transaction = tx;
            var doomed = ExplorerSql.Doomed(deletion, TextContains.Instr, Bind(command), id => id.ToBytes(), time => Ms(time));
            command.CommandText = $"""
                CREATE TEMP TABLE IF NOT EXISTS doomed (id BLOB NOT NULL PRIMARY KEY);
                DELETE FROM temp.doomed;
                INSERT INTO temp.doomed {doomed};
                DELETE FROM job_errors WHERE job_id IN (SELECT id FROM temp.doomed);
                DELETE FROM jobs WHERE id IN (SELECT id FROM temp.doomed);
                SELECT COUNT(*) FROM temp.doomed;
                """;
            var deleted = Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
            await tx.CommitAsync(cancellationToken);
            return deleted;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public async Task<int> CountDeadAsync(string tenant, DeadLetterFilter filter, int upTo, CancellationToken cancellationToken)
    {
        await using var db = await OpenReaderAsync(cancellationToken);
        await using var command = db.CreateCommand();
        var where = DeadFilterSql(command, tenant, filter, id: null);
        command.CommandText = ExplorerSql.CountUpTo(where, upTo, Bind(command));
        return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
    }

    public async Task<QueueListPage> ListQueuesAsync(QueueListing listing, CancellationToken cancellationToken)
    {
        await using var db = await OpenReaderAsync(cancellationToken);
        await using var command = db.CreateCommand();
        command.CommandText = ExplorerSql.Queues(listing, Bind(command));
        var rows = await QueueKeyRows.ReadAsync(command, cancellationToken);

        return ExplorerSql.QueuePage(rows, listing.Limit);
    }

    public async Task<IReadOnlyList<string>> ListJobTypesAsync(string tenant, JobState state, int limit, CancellationToken cancellationToken)
    {
        await using var db = await OpenReaderAsync(cancellationToken);
        await using var command = db.CreateCommand();
        command.CommandText = ExplorerSql.JobTypes(tenant, state, limit, Bind(command));
        return await ExplorerSql.ReadNamesAsync(command, cancellationToken);
    }

    public async Task<IReadOnlyDictionary<string, int>> CountQueuesAsync(IReadOnlyList<string> tenants, CancellationToken cancellationToken)
    {
        if (tenants.Count == 0)
        {
            return new Dictionary<string, int>();
        }

        await using var db = await OpenReaderAsync(cancellationToken);
        await using var command = db.CreateCommand();
        command.CommandText = ExplorerSql.QueueCounts(tenants, Bind(command));
        return await ExplorerSql.ReadCountsAsync(command, cancellationToken);
    }

    public async Task<IReadOnlyList<string>> ListTenantsAsync(string? after, int limit, CancellationToken cancellationToken)
    {
        await using var db = await OpenReaderAsync(cancellationToken);
        await using var command = db.CreateCommand();
        command.CommandText = ExplorerSql.Tenants(after, limit, Bind(command));
        return await ExplorerSql.ReadNamesAsync(command, cancellationToken);
    }

    private static Action<string, object> Bind(SqliteCommand command) => (name, value) => command.Parameters.AddWithValue(name, value);
}
