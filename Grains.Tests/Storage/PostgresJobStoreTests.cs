using Microsoft.Extensions.Options;
using OrleansJobs.Storage;
using OrleansJobs.Storage.Postgres;

namespace OrleansJobs.Tests.Storage;

/// <summary>One fresh PostgreSQL database shared by the contract tests in this class.</summary>
public sealed class PostgresStoreFixture : IAsyncLifetime
{
    private PostgresDatabase? _database;

    internal PostgresJobStore Store { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _database = await PostgresDatabase.CreateAsync();
        Store = new PostgresJobStore(Options.Create(new PostgresStoreOptions { ConnectionString = _database.ConnectionString }));
        await Store.InitializeAsync(default);
    }

    public async Task DisposeAsync()
    {
        if (Store is not null)
        {
            await Store.DisposeAsync();
        }

        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }
}

public sealed class PostgresJobStoreTests(PostgresStoreFixture fixture) : JobStoreContractTests, IClassFixture<PostgresStoreFixture>
{
    private protected override IJobStore Store => fixture.Store;
}
