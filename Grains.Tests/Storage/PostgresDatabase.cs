using Npgsql;

namespace OrleansJobs.Tests.Storage;

/// <summary>
/// A fresh database on the test PostgreSQL server, dropped afterwards. The server comes from
/// <c>ORLEANSJOBS_TEST_POSTGRES</c>, which <c>./test.sh</c> sets after starting a throwaway one.
/// Without it these tests fail rather than skip: CI must never silently lose them.
/// </summary>
public sealed class PostgresDatabase : IAsyncDisposable
{
    public const string ServerVariable = "ORLEANSJOBS_TEST_POSTGRES";

    private readonly string _server;
    private readonly string _name;

    private PostgresDatabase(string server, string name)
    {
        _server = server;
        _name = name;
        ConnectionString = new NpgsqlConnectionStringBuilder(server) { Database = name }.ToString();
    }

    public string ConnectionString { get; }

    /// <summary>A fresh database on <paramref name="server"/>, or on the suite's server when null.</summary>
    public static async Task<PostgresDatabase> CreateAsync(string? server = null)
    {
        server ??= Environment.GetEnvironmentVariable(ServerVariable);
        if (string.IsNullOrWhiteSpace(server))
        {
            throw new InvalidOperationException($"{ServerVariable} is not set: run the tests with ./test.sh, which starts a throwaway PostgreSQL.");
        }

        var name = "orleansjobs_test_" + Guid.NewGuid().ToString("N")[..12];
        await using var admin = new NpgsqlConnection(server);
        await admin.OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE DATABASE {name};", admin);
        await create.ExecuteNonQueryAsync();
        return new PostgresDatabase(server, name);
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(_server);
        await admin.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_name} WITH (FORCE);", admin);
        await drop.ExecuteNonQueryAsync();
    }
}
