using Npgsql;

namespace OrleansJobs.Storage.Postgres;

/// <summary>
/// Applies the numbered scripts of one <c>deploy/sql/postgres/*</c> folder that a database lacks,
/// in one transaction under an advisory lock, so silos starting together migrate exactly once.
/// Each folder records its version in its own table.
/// </summary>
internal static class PostgresMigrator
{
    private const long LockKey = 0x4F4A_4A6F_6273; // "OJJobs"

    /// <summary>Brings the folder's schema up to <paramref name="upTo"/> (default: the latest version).</summary>
    public static async Task ApplyAsync(NpgsqlDataSource db, string folder, string versionTable, CancellationToken cancellationToken, int? upTo = null)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        await ExecuteAsync(connection, $"SELECT pg_advisory_xact_lock({LockKey});", cancellationToken);
        await ExecuteAsync(connection, $"CREATE TABLE IF NOT EXISTS {versionTable} (version integer NOT NULL PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());", cancellationToken);
        await using var read = new NpgsqlCommand($"SELECT COALESCE(MAX(version), 0) FROM {versionTable};", connection);
        var current = (int)(await read.ExecuteScalarAsync(cancellationToken))!;
        var migrations = SqlMigrations.Load(typeof(PostgresMigrator).Assembly, folder);
        for (var version = current + 1; version <= (upTo ?? migrations.Count); version++)
        {
            await ExecuteAsync(connection, migrations[version - 1], cancellationToken);
            await ExecuteAsync(connection, $"INSERT INTO {versionTable} (version) VALUES ({version});", cancellationToken);
        }

        await tx.CommitAsync(cancellationToken);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
