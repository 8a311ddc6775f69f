using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Dashboard;
using OrleansJobs.Hosting;
using OrleansJobs.Http;
using OrleansJobs.Http.Endpoints;
using OrleansJobs.Security;
using OrleansJobs.Tests.Cluster;

namespace OrleansJobs.Tests.Http;

/// <summary>
/// The silo host as it runs in production, in this process: ASP.NET Core on a free loopback port
/// with a co-hosted silo on a fresh SQLite file and the HTTP API, plus keys for two tenants.
/// </summary>
public sealed class HttpApiFixture : IAsyncLifetime
{
    public const string AdminKey = "test-admin-key-0123456789abcdefghijklmnop";
    public const string TenantA = "acme";
    public const string TenantB = "globex";

    private readonly string _folder = Directory.CreateTempSubdirectory("orleansjobs-http-").FullName;
    private WebApplication _app = null!;

    public JobProbe Probe { get; } = new();

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Keys made through the API itself, by tenant and role.</summary>
    public Dictionary<(string Tenant, ApiKeyRole Role), string> Keys { get; } = [];

    public IJobClient Jobs => _app.Services.GetRequiredService<IJobClient>();

    public IServiceProvider Services => _app.Services;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var dbPath = Path.Combine(_folder, "jobs.db");
        builder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering(siloPort: FreePort(), gatewayPort: FreePort());
            silo.Services.AddSingleton(Probe);
            silo.AddDashboard();
            silo.AddOrleansJobs(o =>
                {
                    o.Limits = o.Limits with { MaxPayloadBytes = 4096 };
                    o.HousekeepingInterval = TimeSpan.FromSeconds(1);
                    o.HistorySampleInterval = TimeSpan.FromSeconds(1);
                    o.WaitObjective = TimeSpan.FromSeconds(1);
                })
                .UseSqliteStore(o =>
                {
                    o.Path = dbPath;
                    o.FsyncOnCommit = false;
                })
                .AddJobHandler<ProbePayload, ProbeHandler>(ClusterFixture.Noop)
                .AddJobHandler<ProbePayload, ProbeHandler>(ClusterFixture.Flaky, t =>
                {
                    t.MaxAttempts = 1;
                    t.Retry = ClusterFixture.FlakyRetry;
                });
        });
        builder.Services.AddOrleansJobsHttpApi(o => o.AdminKey = AdminKey);
        _app = builder.Build();
        _app.UseOrleansJobsHttpApi();
        _app.MapOrleansJobsHttpApi();
        _app.MapOrleansJobsDashboard();
        await _app.StartAsync();
        BaseAddress = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

        using var admin = Client(AdminKey);
        foreach (var tenant in new[] { TenantA, TenantB })
        {
            foreach (var role in new[] { ApiKeyRole.Producer, ApiKeyRole.Operator })
            {
                var response = await admin.PostAsJsonAsync("/v1/keys", new { tenant, role = role.ToString().ToLowerInvariant(), name = $"{tenant} {role}" });
                response.EnsureSuccessStatusCode();
                Keys[(tenant, role)] = (await response.Content.ReadFromJsonAsync<CreatedKeyResponse>(HttpJson.Options))!.Key;
            }
        }
    }

    /// <summary>
    /// An HTTP client that presents <paramref name="key"/> (none when null). With <paramref name="followRedirects"/>
    /// false it answers redirects as they are, as the pages' tests need: an HttpClient drops the key on a redirect.
    /// </summary>
    public HttpClient Client(string? key, bool followRedirects = true)
    {
        var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = followRedirects }) { BaseAddress = BaseAddress };
        if (key is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return client;
    }

    public HttpClient Client(string tenant, ApiKeyRole role, bool followRedirects = true) => Client(Keys[(tenant, role)], followRedirects);

    public async Task DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>The API's JSON conventions, for reading its answers in tests.</summary>
public static class HttpJson
{
    public static readonly System.Text.Json.JsonSerializerOptions Options = new(System.Text.Json.JsonSerializerDefaults.Web)
    {
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(System.Text.Json.JsonNamingPolicy.CamelCase) },
    };
}

[CollectionDefinition(Name)]
public sealed class HttpApiCollection : ICollectionFixture<HttpApiFixture>
{
    public const string Name = "http api";
}
