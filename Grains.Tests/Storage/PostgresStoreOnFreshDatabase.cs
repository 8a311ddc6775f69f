using Microsoft.Extensions.Options;
using OrleansJobs.Storage.Postgres;

namespace OrleansJobs.Tests.Storage;

/// <summary>A PostgreSQL job store on a database of its own, its schema applied; disposing drops the database.</summary>
internal sealed class PostgresStoreOnFreshDatabase : IAsyncDisposable
{
    private PostgresStoreOnFreshDatabase(PostgresDatabase database, PostgresJobStore store) => (Database, Store) = (database, store);

    public PostgresDatabase Database { get; }

    public PostgresJobStore Store { get; }

    public static async Task<PostgresStoreOnFreshDatabase> CreateAsync()
    {
        var database = await PostgresDatabase.CreateAsync();
        var store = new PostgresJobStore(Options.Create(new PostgresStoreOptions { ConnectionString = database.ConnectionString }));
        await store.InitializeAsync(default);
        return new(database, store);
    }

    public async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync();
        await Database.DisposeAsync();
    }
}
