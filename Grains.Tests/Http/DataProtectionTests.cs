using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OrleansJobs.Http;
using OrleansJobs.Security;
using OrleansJobs.Storage.Sqlite;

namespace OrleansJobs.Tests.Http;

/// <summary>Two hosts on one job store share one key ring: what one signs (a cookie, an antiforgery token), the other reads.</summary>
public sealed class DataProtectionTests : IAsyncLifetime
{
    private readonly string _folder = Directory.CreateTempSubdirectory("orleansjobs-dp-").FullName;
    private SqliteJobStore _store = null!;

    public async Task InitializeAsync()
    {
        _store = new SqliteJobStore(Options.Create(new SqliteStoreOptions { Path = Path.Combine(_folder, "jobs.db"), FsyncOnCommit = false }));
        await _store.InitializeAsync(default);
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    private ServiceProvider Host()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IDataProtectionKeyStore>(_store);
        services.AddDataProtection().SetApplicationName("OrleansJobs").PersistKeysToOrleansJobsStore();
        return services.BuildServiceProvider();
    }

    [Fact]
    public async Task What_one_host_protects_another_host_on_the_same_store_unprotects()
    {
        using var first = Host();
        var secret = first.GetRequiredService<IDataProtectionProvider>().CreateProtector("jobs-page").Protect("signed in as ops");
        Assert.NotEmpty(await _store.ListDataProtectionKeysAsync(default));

        using var second = Host();
        Assert.Equal("signed in as ops", second.GetRequiredService<IDataProtectionProvider>().CreateProtector("jobs-page").Unprotect(secret));
        Assert.Single(await _store.ListDataProtectionKeysAsync(default));
    }
}
