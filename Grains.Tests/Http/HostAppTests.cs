using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OrleansJobs.Hosting;
using OrleansJobs.Http;
using OrleansJobs.Http.Endpoints;
using OrleansJobs.Security;
using OrleansJobs.Tests.Cluster;
using OrleansJobs.Tests.Process;

namespace OrleansJobs.Tests.Http;

/// <summary>
/// The API inside an app that has its own cookie sign-in (the default scheme), its own JSON settings,
/// its own OpenAPI document and its own routes: both keep working, the app's users reach the API
/// through a mapping to tenants and roles, and the API's paths are the app's choice.
/// </summary>
public sealed class HostAppTests : IAsyncLifetime
{
    private const string AdminKey = "host-app-admin-key-0123456789abcdefghijk";
    private readonly string _folder = Directory.CreateTempSubdirectory("orleansjobs-hostapp-").FullName;
    private WebApplication _app = null!;
    private Uri _address = null!;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");

        // The app's own choices: cookie sign-in as the default scheme, PascalCase JSON with numeric enums, an OpenAPI document "v1".
        builder.Services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme)
            .AddCookie(o => o.LoginPath = "/account/login");
        builder.Services.AddAuthorization();
        builder.Services.Configure<JsonOptions>(o => o.SerializerOptions.PropertyNamingPolicy = null);
        builder.Services.AddOpenApi("v1");

        var dbPath = Path.Combine(_folder, "jobs.db");
        builder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering(siloPort: SiloProcess.FreePort(), gatewayPort: SiloProcess.FreePort());
            silo.AddOrleansJobs()
                .UseSqliteStore(o => (o.Path, o.FsyncOnCommit) = (dbPath, false))
                .AddJobHandler<ProbePayload, ProbeHandler>(ClusterFixture.Noop);
            silo.Services.AddSingleton(new JobProbe());
        });
        builder.Services.AddOrleansJobsHttpApi(o =>
        {
            o.AdminKey = AdminKey;
            o.ApiPath = "/jobs-api/v1";
            o.PagesPath = "/ops/jobs";
            o.MetricsPath = "/ops/metrics";
            o.HostAuthenticationSchemes = [CookieAuthenticationDefaults.AuthenticationScheme];
            o.MapUser = user => user.FindFirstValue("tenant") is { } tenant
                ? new OrleansJobsAccess(tenant, Enum.Parse<ApiKeyRole>(user.FindFirstValue("jobs-role")!, ignoreCase: true))
                : null;
        });

        _app = builder.Build();
        _app.UseAuthentication();
        _app.UseAuthorization();
        _app.UseOrleansJobsHttpApi();
        _app.MapOpenApi();
        _app.MapGet("/hello", (ClaimsPrincipal user) => new { Greeting = $"hello {user.Identity!.Name}", Level = LogLevel.Warning }).RequireAuthorization();
        _app.MapGet("/account/login", async (HttpContext http, string tenant, string role) =>
        {
            var identity = new ClaimsIdentity([new(ClaimTypes.Name, "ada"), new("tenant", tenant), new("jobs-role", role)], CookieAuthenticationDefaults.AuthenticationScheme);
            await http.SignInAsync(new ClaimsPrincipal(identity));
            return Results.Ok();
        }).ExcludeFromDescription();
        _app.MapOrleansJobsHttpApi();
        await _app.StartAsync();
        _address = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }

    public async Task DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    private HttpClient Client(string? key = null, bool cookies = false)
    {
        var client = new HttpClient(new HttpClientHandler { UseCookies = cookies, AllowAutoRedirect = false }) { BaseAddress = _address };
        if (key is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return client;
    }

    [Fact]
    public async Task The_apps_own_auth_and_json_are_untouched_and_the_api_keeps_its_own()
    {
        var schemes = _app.Services.GetRequiredService<IAuthenticationSchemeProvider>();
        Assert.Equal(CookieAuthenticationDefaults.AuthenticationScheme, (await schemes.GetDefaultAuthenticateSchemeAsync())!.Name);
        Assert.Equal(CookieAuthenticationDefaults.AuthenticationScheme, (await schemes.GetDefaultChallengeSchemeAsync())!.Name);

        // The app's cookie scheme answers its own API endpoint (401 with its login page: .NET 10 does not redirect API calls), not the jobs page's login.
        using var anonymous = Client();
        var challenge = await anonymous.GetAsync("/hello");
        Assert.Equal(HttpStatusCode.Unauthorized, challenge.StatusCode);
        Assert.Equal("/account/login", challenge.Headers.Location!.AbsolutePath);

        using var user = Client(cookies: true);
        (await user.GetAsync("/account/login?tenant=acme&role=operator")).EnsureSuccessStatusCode();
        var hello = await user.GetFromJsonAsync<JsonElement>("/hello");
        Assert.Equal("hello ada", hello.GetProperty("Greeting").GetString());
        Assert.Equal((int)LogLevel.Warning, hello.GetProperty("Level").GetInt32());

        using var admin = Client(AdminKey);
        var created = await admin.PostAsJsonAsync("/jobs-api/v1/keys", new { tenant = "acme", role = "producer", name = "web" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var key = await created.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("producer", key.GetProperty("role").GetString());
        Assert.StartsWith("/jobs-api/v1/keys/", created.Headers.Location!.OriginalString);

        using var producer = Client(key.GetProperty("key").GetString());
        var enqueued = await producer.PostAsJsonAsync("/jobs-api/v1/tenants/acme/jobs", new { jobType = ClusterFixture.Noop, payload = new { }, options = new { priority = "high" } });
        Assert.Equal(HttpStatusCode.Accepted, enqueued.StatusCode);
        var status = await producer.GetFromJsonAsync<JsonElement>(enqueued.Headers.Location!.OriginalString);
        Assert.Equal("high", status.GetProperty("priority").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await producer.GetAsync("/v1/keys")).StatusCode);
    }

    [Fact]
    public async Task A_signed_in_app_user_reaches_the_api_and_pages_as_the_tenant_and_role_it_maps_to()
    {
        using var user = Client(cookies: true);
        (await user.GetAsync("/account/login?tenant=acme&role=operator")).EnsureSuccessStatusCode();

        Assert.Equal(HttpStatusCode.OK, (await user.GetAsync("/jobs-api/v1/tenants/acme/queues")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await user.GetAsync("/jobs-api/v1/tenants/globex/queues")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await user.GetAsync("/jobs-api/v1/keys")).StatusCode);
        var page = await user.GetAsync("/ops/jobs");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("Queues · acme", System.Net.WebUtility.HtmlDecode(await page.Content.ReadAsStringAsync()));

        using var anonymous = Client();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/jobs-api/v1/tenants/acme/queues")).StatusCode);
        using var stranger = Client(cookies: true);
        (await stranger.GetAsync("/account/login?tenant=Not+A+Tenant&role=operator")).EnsureSuccessStatusCode();
        Assert.Equal(HttpStatusCode.Unauthorized, (await stranger.GetAsync("/jobs-api/v1/tenants/acme/queues")).StatusCode);
    }

    [Fact]
    public async Task The_apps_openapi_document_and_the_apis_each_describe_only_their_own_operations()
    {
        using var anonymous = Client();
        var appsResponse = await anonymous.GetAsync("/openapi/v1.json");
        Assert.True(appsResponse.IsSuccessStatusCode, await appsResponse.Content.ReadAsStringAsync());
        var apps = await appsResponse.Content.ReadFromJsonAsync<JsonElement>();
        var paths = apps.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Contains("/hello", paths);
        Assert.DoesNotContain(paths, p => p.StartsWith("/jobs-api", StringComparison.Ordinal) || p.StartsWith("/ops", StringComparison.Ordinal));

        var api = await anonymous.GetFromJsonAsync<JsonElement>("/openapi/orleansjobs.json");
        var apiPaths = api.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        Assert.Contains("/jobs-api/v1/tenants/{tenant}/jobs", apiPaths);
        Assert.All(apiPaths, p => Assert.StartsWith("/jobs-api/v1/", p));

        using var admin = Client(AdminKey);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/ops/metrics")).StatusCode);
    }
}
