using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace OrleansJobs.Silo;

/// <summary>Tells the person who just started the host, once, where everything is and how to get in.</summary>
internal static partial class StartupBanner
{
    /// <summary>Logs the banner once the server listens, so the addresses are the real ones.</summary>
    public static void LogWhenStarted(WebApplication app, SiloSettings settings, AdminKey adminKey)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("OrleansJobs.Silo");
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()?.TrimEnd('/')
                ?? "http://127.0.0.1:5080";
            var store = settings.Storage == StorageMode.Postgres ? "PostgreSQL" : $"SQLite {Path.GetFullPath(settings.DataPath)}";
            var key = adminKey.Origin switch
            {
                AdminKeyOrigin.DevelopmentFile => $"in {adminKey.FilePath} (made for this Development host, readable only by its owner; send it as 'Authorization: Bearer <key>' or sign in to the jobs page with it)",
                AdminKeyOrigin.Configured => "from configuration (OrleansJobs:Http:AdminKey)",
                _ => "none configured",
            };
            Started(logger, app.Environment.EnvironmentName, store, address, key);
            if (adminKey.Origin == AdminKeyOrigin.None)
            {
                AdminSurfaceOff(logger);
            }
        });
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message =
        "OrleansJobs is running ({Environment}, jobs in {Store})\n" +
        "  HTTP API   {Address}/v1  (OpenAPI: {Address}/openapi/orleansjobs.json)\n" +
        "  Jobs page  {Address}/jobs\n" +
        "  Dashboard  {Address}/dashboard\n" +
        "  Metrics    {Address}/metrics\n" +
        "  Admin key  {AdminKey}")]
    private static partial void Started(ILogger logger, string environment, string store, string address, string adminKey);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message =
        "The jobs page and the dashboard are off: no admin key is configured outside Development. Set OrleansJobs:Http:AdminKey (at least 32 characters, e.g. OrleansJobs__Http__AdminKey) to serve them; the /v1 API accepts stored keys only.")]
    private static partial void AdminSurfaceOff(ILogger logger);
}
