using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;

namespace OrleansJobs.Tests.Process;

/// <summary>The demo host as a new user starts it: in Development it makes a key and says where everything is.</summary>
public sealed partial class FirstRunTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("orleansjobs-firstrun-").FullName;

    private string[] Settings(string environment, params string[] more) =>
    [
        $"--environment={environment}",
        $"--OrleansJobs:DataPath={Path.Combine(_folder, "data", "jobs.db")}",
        $"--OrleansJobs:SiloPort={SiloProcess.FreePort()}",
        $"--OrleansJobs:GatewayPort={SiloProcess.FreePort()}",
        "--Logging:LogLevel:OrleansJobs.Silo=Information",
        .. more,
    ];

    [Fact]
    public async Task A_development_host_makes_a_private_admin_key_prints_where_it_is_and_keeps_it()
    {
        var keyFile = Path.Combine(_folder, "data", "admin.key");
        string key;
        await using (var silo = await SiloProcess.StartAsync(Settings("Development")))
        {
            var banner = await WaitForBannerAsync(silo);
            Assert.Contains($"Admin key  in {keyFile}", banner);
            Assert.DoesNotContain(File.ReadAllText(keyFile).Trim(), silo.Output);
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
            }

            key = File.ReadAllText(keyFile).Trim();
            Assert.True(key.Length >= 32);

            var address = Address().Match(banner).Groups["address"].Value;
            using var http = new HttpClient { BaseAddress = new Uri(address) };
            Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/v1/queues")).StatusCode);
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/v1/queues")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/metrics")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/jobs")).StatusCode);
            await silo.StopGracefullyAsync(TimeSpan.FromSeconds(60));
        }

        await using (var again = await SiloProcess.StartAsync(Settings("Development")))
        {
            await WaitForBannerAsync(again);
            Assert.Equal(key, File.ReadAllText(keyFile).Trim());
        }
    }

    [Fact]
    public async Task Outside_development_with_no_admin_key_the_host_says_so_once_and_serves_no_admin_pages()
    {
        await using var silo = await SiloProcess.StartAsync(Settings("Production"));
        var banner = await WaitForBannerAsync(silo);
        Assert.Contains("Admin key  none configured", banner);
        var warning = await silo.WaitForLineAsync(l => l.Contains("jobs page and the dashboard are off", StringComparison.Ordinal), TimeSpan.FromSeconds(30));
        Assert.Contains("OrleansJobs:Http:AdminKey", warning);
        Assert.False(File.Exists(Path.Combine(_folder, "data", "admin.key")));

        var address = Address().Match(banner).Groups["address"].Value;
        using var http = new HttpClient { BaseAddress = new Uri(address) };
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/jobs")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/dashboard")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/v1/queues")).StatusCode);
    }

    [Fact]
    public async Task A_configured_admin_key_wins_and_no_file_is_made()
    {
        const string configured = "configured-admin-key-0123456789abcdefghij";
        await using var silo = await SiloProcess.StartAsync(Settings("Development", $"--OrleansJobs:Http:AdminKey={configured}"));
        var banner = await WaitForBannerAsync(silo);
        Assert.Contains("from configuration", banner);
        Assert.False(File.Exists(Path.Combine(_folder, "data", "admin.key")));

        using var http = new HttpClient { BaseAddress = new Uri(Address().Match(banner).Groups["address"].Value) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", configured);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/v1/queues")).StatusCode);
    }

    /// <summary>The banner is one log entry over several lines; returns them all once its last line is out.</summary>
    private static async Task<string> WaitForBannerAsync(SiloProcess silo)
    {
        await silo.WaitForLineAsync(l => l.Contains("Admin key  ", StringComparison.Ordinal), TimeSpan.FromSeconds(30));
        var output = silo.Output;
        return output[output.IndexOf("OrleansJobs is running", StringComparison.Ordinal)..];
    }

    [GeneratedRegex(@"HTTP API   (?<address>http://127\.0\.0\.1:\d+)/v1")]
    private static partial Regex Address();

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }
}
