using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using OrleansJobs.Tests.Storage;
using Xunit.Abstractions;

namespace OrleansJobs.Tests.Process;

/// <summary>
/// The demo host started the way Samples/AppHost has .NET Aspire start it (the orchestrator itself needs
/// a container runtime this machine lacks): clustering, cluster id and ports come only from the standard
/// <c>Orleans:*</c> settings and the database from <c>ConnectionStrings:orleansjobs</c>.
/// </summary>
public sealed class AspireSettingsTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string ClusterId = "aspire-cluster";
    private PostgresDatabase _database = null!;

    public async Task InitializeAsync() => _database = await PostgresDatabase.CreateAsync();

    public async Task DisposeAsync() => await _database.DisposeAsync();

    /// <summary>What Aspire's PostgreSQL and Orleans integrations put in a silo's or client's environment.</summary>
    private Dictionary<string, string?> AspireSettings() => new()
    {
        ["ConnectionStrings:orleansjobs"] = _database.ConnectionString,
        ["Orleans:ClusterId"] = ClusterId,
        ["Orleans:ServiceId"] = "aspire-service",
        ["Orleans:Clustering:ProviderType"] = "AdoNet",
        ["Orleans:Clustering:ServiceKey"] = "orleansjobs",
        ["Orleans:Clustering:Invariant"] = "Npgsql",
    };

    [Fact]
    public async Task Two_silo_replicas_with_aspires_settings_form_one_cluster_that_a_client_with_the_same_settings_uses()
    {
        var ports = Enumerable.Range(0, 2).Select(_ => (Silo: SiloProcess.FreePort(), Gateway: SiloProcess.FreePort())).ToList();
        string[] Settings(int i) =>
        [
            "--OrleansJobs:Storage=Postgres",
            .. AspireSettings().Select(s => $"--{s.Key}={s.Value}"),
            $"--Orleans:Endpoints:SiloPort={ports[i].Silo}",
            $"--Orleans:Endpoints:GatewayPort={ports[i].Gateway}",
        ];

        await using var first = await SiloProcess.StartAsync(Settings(0));
        await using var second = await SiloProcess.StartAsync(Settings(1));
        try
        {
            await using (var db = new NpgsqlConnection(_database.ConnectionString))
            {
                await db.OpenAsync();
                await using var members = new NpgsqlCommand("SELECT port FROM orleansmembershiptable WHERE deploymentid = @cluster AND status = 3 ORDER BY port;", db);
                members.Parameters.AddWithValue("cluster", ClusterId);
                var active = new List<int>();
                await using (var reader = await members.ExecuteReaderAsync())
                {
                    while (await reader.ReadAsync())
                    {
                        active.Add(reader.GetInt32(0));
                    }
                }

                Assert.Equal(ports.Select(p => p.Silo).Order(), active);
            }

            var builder = Host.CreateApplicationBuilder();
            builder.Logging.ClearProviders();
            builder.Configuration.AddInMemoryCollection(AspireSettings());
            builder.Configuration["Orleans:Clustering:ConnectionName"] = "orleansjobs";
            builder.UseOrleansClient(_ => { });
            builder.Services.AddOrleansJobsClient();
            using var client = builder.Build();
            await client.StartAsync();
            var jobs = client.Services.GetRequiredService<IJobClient>();
            var id = await jobs.EnqueueAsync("aspire", "demo.sleep", new { milliseconds = 1 });

            var deadline = DateTimeOffset.UtcNow.AddSeconds(30);
            JobInfo? job;
            while ((job = await jobs.GetStatusAsync("aspire", id))?.State != JobState.Succeeded && DateTimeOffset.UtcNow < deadline)
            {
                await Task.Delay(50);
            }

            Assert.Equal(JobState.Succeeded, job?.State);
            await client.StopAsync();
        }
        catch
        {
            output.WriteLine(first.Output);
            output.WriteLine(second.Output);
            throw;
        }
    }
}
