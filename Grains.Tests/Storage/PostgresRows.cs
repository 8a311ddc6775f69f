using Npgsql;

namespace OrleansJobs.Tests.Storage;

/// <summary>Rows written straight into a PostgreSQL jobs table, as a store that has run a long while holds them.</summary>
internal static class PostgresRows
{
    /// <summary>
    /// 50 000 dead letters of <paramref name="tenant"/>'s <c>email.send</c>, made in 2023 in id order; three
    /// (the 7th, 20 007th and 40 007th) failed with <c>smtp 550 rare mailbox_gone</c>, the rest with a timeout.
    /// </summary>
    public static Task DeadLettersAsync(string connectionString, string tenant) => ExecuteAsync(connectionString, """
        INSERT INTO jobs (id, tenant, job_type, state, priority, created_at, run_at, attempt, max_attempts, timeout_ms, started_at, finished_at, last_error, payload)
        SELECT (lpad(to_hex(1700000000000 + g), 12, '0') || '7000' || '8' || lpad(to_hex(g), 15, '0'))::uuid,
               @tenant, 'email.send', 5, 1, now(), now(), 3, 3, 60000, now(), now(),
               CASE WHEN g % 20000 = 7 THEN 'smtp 550 rare mailbox_gone' ELSE 'timeout after 30 s' END, '\x7b7d'::bytea
        FROM generate_series(1, 50000) AS g;
        ANALYZE jobs;
        """, tenant);

    /// <summary>Runs <paramref name="sql"/>, with <paramref name="tenant"/> bound to <c>@tenant</c> when given.</summary>
    public static async Task ExecuteAsync(string connectionString, string sql, string? tenant = null)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        if (tenant is not null)
        {
            command.Parameters.AddWithValue("tenant", tenant);
        }

        await command.ExecuteNonQueryAsync();
    }

    /// <summary>
    /// Runs <c>EXPLAIN ANALYZE</c> on the query <paramref name="query"/> returns (it binds that query's parameters
    /// on the command it is given) and gives back the plan PostgreSQL ran, as text.
    /// </summary>
    public static async Task<string> ExplainAsync(string connectionString, Func<NpgsqlCommand, string> query)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var explain = connection.CreateCommand();
        explain.CommandText = "EXPLAIN (ANALYZE, BUFFERS, FORMAT TEXT) " + query(explain);
        var plan = new List<string>();
        await using var reader = await explain.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            plan.Add(reader.GetString(0));
        }

        return string.Join('\n', plan);
    }
}
