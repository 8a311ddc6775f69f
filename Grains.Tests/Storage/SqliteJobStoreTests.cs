using Microsoft.Extensions.Options;
using OrleansJobs.Storage;
using OrleansJobs.Storage.Sqlite;

namespace OrleansJobs.Tests.Storage;

/// <summary>One SQLite file shared by the contract tests in this class.</summary>
public sealed class SqliteStoreFixture : IAsyncLifetime
{
    private readonly string _folder = Directory.CreateTempSubdirectory("orleansjobs-store-").FullName;

    internal SqliteJobStore Store { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Store = new SqliteJobStore(Options.Create(new SqliteStoreOptions { Path = Path.Combine(_folder, "jobs.db") }));
        await Store.InitializeAsync(default);
    }

    public async Task DisposeAsync()
    {
        await Store.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }
}

public sealed class SqliteJobStoreTests(SqliteStoreFixture fixture) : JobStoreContractTests, IClassFixture<SqliteStoreFixture>
{
    private protected override IJobStore Store => fixture.Store;
}
