using Microsoft.Extensions.Options;
using Npgsql;
using OrleansJobs.Storage;
using OrleansJobs.Storage.Postgres;

namespace OrleansJobs.Tests.Storage;

/// <summary>The dead letters' error-text filter on PostgreSQL, served by the trigram index of migration 019.</summary>
public sealed class PostgresErrorSearchTests : IAsyncLifetime
{
    private const string Tenant = "acme";
    private PostgresStoreOnFreshDatabase _fresh = null!;

    public async Task InitializeAsync() => _fresh = await PostgresStoreOnFreshDatabase.CreateAsync();

    public async Task DisposeAsync() => await _fresh.DisposeAsync();

    private PostgresJobStore Store => _fresh.Store;

    [Fact]
    public async Task A_rare_error_among_many_dead_letters_is_read_through_the_trigram_index_not_by_walking_them()
    {
        // 50 000 dead letters of one tenant, three of them with a rare error, as a long outage leaves them.
        await PostgresRows.DeadLettersAsync(_fresh.Database.ConnectionString, Tenant);

        var filter = new DeadLetterFilter { ErrorContains = "rare mailbox_gone" };
        var page = await Store.ListDeadAsync(Tenant, filter, 10, null, default);
        Assert.Equal(3, page.Jobs.Count);
        Assert.All(page.Jobs, job => Assert.Equal("smtp 550 rare mailbox_gone", job.LastError));
        Assert.Equal(3, await Store.CountDeadAsync(Tenant, filter, 1000, default));

        // The page's own query, planned for this filter: it reads the matches through the index.
        var plan = await PostgresRows.ExplainAsync(_fresh.Database.ConnectionString, command =>
        {
            var where = DeadLetterSql.Where(Tenant, filter, null, null, TextContains.Like, (name, value) => command.Parameters.AddWithValue(name.TrimStart('@'), value), id => id.Value, time => time.UtcDateTime);
            return $"SELECT id FROM jobs WHERE {where} ORDER BY id DESC LIMIT 11";
        });
        Assert.Contains("ix_jobs_dead_error", plan, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Only_dead_letters_enter_the_index()
    {
        await using var connection = new NpgsqlConnection(_fresh.Database.ConnectionString);
        await connection.OpenAsync();
        await using var read = new NpgsqlCommand("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_jobs_dead_error';", connection);
        var definition = (string?)await read.ExecuteScalarAsync();
        Assert.NotNull(definition);
        Assert.Contains("USING gin (last_error", definition, StringComparison.Ordinal);
        Assert.EndsWith("WHERE (state = 5)", definition, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Where_the_role_may_not_install_pg_trgm_the_schema_still_applies_and_the_filter_reads_the_dead_letters_in_order()
    {
        // A role that owns the schema it writes to but may not create extensions in the database, as on many managed servers.
        var role = "orleansjobs_limited_" + Guid.NewGuid().ToString("N")[..8];
        var database = await PostgresDatabase.CreateAsync();
        PostgresJobStore? store = null;
        try
        {
            await PostgresRows.ExecuteAsync(database.ConnectionString, $"CREATE ROLE {role} LOGIN; ALTER SCHEMA public OWNER TO {role};");
            var limited = new NpgsqlConnectionStringBuilder(database.ConnectionString) { Username = role }.ToString();
            store = new PostgresJobStore(Options.Create(new PostgresStoreOptions { ConnectionString = limited }));
            await store.InitializeAsync(default);

            await using var connection = new NpgsqlConnection(database.ConnectionString);
            await connection.OpenAsync();
            await using var read = new NpgsqlCommand("""
                SELECT (SELECT MAX(version) FROM jobs_schema_version),
                       EXISTS (SELECT 1 FROM pg_indexes WHERE indexname = 'ix_jobs_dead_error'),
                       EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm');
                """, connection);
            await using (var reader = await read.ExecuteReaderAsync())
            {
                await reader.ReadAsync();
                Assert.Equal((19, false, false), (reader.GetInt32(0), reader.GetBoolean(1), reader.GetBoolean(2)));
            }

            await PostgresRows.DeadLettersAsync(limited, Tenant);
            var page = await store.ListDeadAsync(Tenant, new DeadLetterFilter { ErrorContains = "rare mailbox_gone" }, 10, null, default);
            Assert.Equal(3, page.Jobs.Count);
        }
        finally
        {
            if (store is not null)
            {
                await store.DisposeAsync();
            }

            await database.DisposeAsync();
            await PostgresRows.ExecuteAsync(Environment.GetEnvironmentVariable(PostgresDatabase.ServerVariable)!, $"DROP ROLE IF EXISTS {role};");
        }
    }
}
