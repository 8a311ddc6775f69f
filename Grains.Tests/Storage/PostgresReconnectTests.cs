using Npgsql;
using OrleansJobs.Storage;
using OrleansJobs.Storage.Postgres;

namespace OrleansJobs.Tests.Storage;

/// <summary>The store's pooled connections ended by the server, as a restart or <c>pg_terminate_backend</c> ends them.</summary>
public sealed class PostgresReconnectTests : IAsyncLifetime
{
    private const int Callers = 8;
    private PostgresStoreOnFreshDatabase _fresh = null!;
    private readonly JobIdGenerator _ids = new(TimeProvider.System);

    public async Task InitializeAsync() => _fresh = await PostgresStoreOnFreshDatabase.CreateAsync();

    public async Task DisposeAsync() => await _fresh.DisposeAsync();

    private PostgresJobStore Store => _fresh.Store;

    [Fact]
    public async Task Reads_and_group_commits_after_the_server_ended_every_pooled_connection_succeed()
    {
        var queue = new QueueKey("acme", "email");

        // Several callers at once, so the pool holds several idle connections afterwards.
        await Task.WhenAll(Enumerable.Range(0, Callers).Select(_ => Store.GetQueueCountsAsync(queue, default)));
        var killed = await TerminateStoreConnectionsAsync();
        Assert.True(killed >= 2, $"expected several pooled connections, found {killed}");

        // Every call the queues make when they activate and run, each on a connection the server ended.
        var now = DateTimeOffset.UtcNow;
        var calls = Enumerable.Range(0, Callers).Select(i => (i % 4) switch
        {
            0 => (Task)Store.GetQueueSettingsAsync(queue, default),
            1 => Store.GetQueueCountsAsync(queue, default),
            2 => Store.ReadReadyAsync(queue, null, 10, default),
            _ => Store.WriteAsync(new JobWriteBatch { Inserts = { new NewJob(_ids.Next(), queue, "{}"u8.ToArray(), JobPriority.Normal, now, now, 3, TimeSpan.FromMinutes(1), null, null) } }, default),
        });
        await Task.WhenAll(calls);

        var counts = await Store.GetQueueCountsAsync(queue, default);
        Assert.Equal(Callers / 4, counts.Enqueued);
    }

    [Fact]
    public async Task A_killed_connection_is_replaced_once_not_retried_forever()
    {
        // A server that ends every new session too (here: the database refuses connections) is an outage, not a killed connection.
        await Store.GetQueueCountsAsync(new QueueKey("acme", "email"), default);
        await using (var admin = new NpgsqlConnection(AdminConnectionString))
        {
            await admin.OpenAsync();
            await using var refuse = new NpgsqlCommand($"ALTER DATABASE {Database} ALLOW_CONNECTIONS false;", admin);
            await refuse.ExecuteNonQueryAsync();
        }

        try
        {
            await TerminateStoreConnectionsAsync();
            await Assert.ThrowsAnyAsync<NpgsqlException>(() => Store.GetQueueSettingsAsync(new QueueKey("acme", "email"), default));
        }
        finally
        {
            await using var admin = new NpgsqlConnection(AdminConnectionString);
            await admin.OpenAsync();
            await using var allow = new NpgsqlCommand($"ALTER DATABASE {Database} ALLOW_CONNECTIONS true;", admin);
            await allow.ExecuteNonQueryAsync();
        }

        Assert.Null((await Store.GetQueueSettingsAsync(new QueueKey("acme", "email"), default)).Override);
    }

    private string Database => new NpgsqlConnectionStringBuilder(_fresh.Database.ConnectionString).Database!;

    private static string AdminConnectionString => Environment.GetEnvironmentVariable(PostgresDatabase.ServerVariable)!;

    /// <summary>Ends every session on the test database from outside, as <c>pg_ctl restart</c> does; returns how many.</summary>
    private async Task<int> TerminateStoreConnectionsAsync()
    {
        await using var admin = new NpgsqlConnection(AdminConnectionString);
        await admin.OpenAsync();
        await using var kill = new NpgsqlCommand("SELECT COUNT(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = @db AND pid <> pg_backend_pid();", admin);
        kill.Parameters.AddWithValue("db", Database);
        return (int)(long)(await kill.ExecuteScalarAsync())!;
    }
}
