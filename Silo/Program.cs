using System.Net;
using Microsoft.AspNetCore.DataProtection;
using Orleans.Configuration;
using Orleans.Dashboard;
using OrleansJobs.Hosting;
using OrleansJobs.Http;
using OrleansJobs.Silo;
using OrleansJobs.Silo.Samples;

var builder = WebApplication.CreateBuilder(args);
if (builder.Configuration["urls"] is null && builder.Configuration["http_ports"] is null && builder.Configuration["https_ports"] is null)
{
    // The demo's address unless the host was given one (--Urls, ASPNETCORE_URLS, or the ports .NET Aspire hands each replica).
    builder.WebHost.UseUrls("http://127.0.0.1:5080");
}

var settings = builder.Configuration.GetSection("OrleansJobs").Get<SiloSettings>() ?? new SiloSettings();
AspireSettings.NameProviderConnections(builder.Configuration);
var jobOptions = builder.Configuration.GetSection("OrleansJobs:Options");

builder.UseOrleans(silo =>
{
    silo.AddDashboard();
    var jobs = silo.AddOrleansJobs(jobOptions.Bind);
    if (settings.Storage == StorageMode.Postgres)
    {
        var connectionString = builder.Configuration.GetConnectionString("OrleansJobs")
            ?? throw new InvalidOperationException("OrleansJobs:Storage is Postgres but ConnectionStrings:OrleansJobs is not set.");
        // .NET Aspire (and any host that follows Orleans' conventions) names the cluster and the ports under Orleans:*.
        var orleans = builder.Configuration.GetSection("Orleans");
        silo.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = orleans["ClusterId"] ?? settings.ClusterId;
            o.ServiceId = orleans["ServiceId"] ?? settings.ServiceId;
        });
        silo.ConfigureEndpoints(
            IPAddress.Parse(settings.AdvertisedAddress),
            orleans.GetValue<int?>("Endpoints:SiloPort") ?? settings.SiloPort,
            orleans.GetValue<int?>("Endpoints:GatewayPort") ?? settings.GatewayPort,
            listenOnAnyHostAddress: false);
        // How fast a crashed silo is declared dead (ProbeTimeout, NumMissedProbesLimit, ...), e.g. --Orleans:Membership:ProbeTimeout=00:00:02.
        silo.Configure<ClusterMembershipOptions>(builder.Configuration.GetSection("Orleans:Membership"));
        jobs.UsePostgres(o => o.ConnectionString = connectionString);
    }
    else
    {
        silo.UseLocalhostClustering(settings.SiloPort, settings.GatewayPort);
        jobs.UseSqliteStore(store => store.Path = settings.DataPath);
    }

    jobs.AddJobHandler<SendEmail, SendEmailHandler>("email.send")
        .AddJobHandler<RenderThumbnail, RenderThumbnailHandler>("thumbnail.render")
        .AddJobHandler<DeliverWebhook, DeliverWebhookHandler>("webhook.deliver", type =>
        {
            type.MaxAttempts = 4;
            type.Retry = new OrleansJobs.Policies.RetryPolicy { BaseDelay = TimeSpan.FromMilliseconds(500), MaxDelay = TimeSpan.FromSeconds(30) };
        })
        .AddJobHandler<Sleep, SleepHandler>("demo.sleep", type => type.MaxConcurrency = settings.SampleConcurrency)
        .AddJobHandler<Flaky, FlakyHandler>("demo.flaky", type =>
        {
            type.MaxAttempts = 5;
            type.Retry = new OrleansJobs.Policies.RetryPolicy { BaseDelay = TimeSpan.FromSeconds(6), MaxDelay = TimeSpan.FromMinutes(1) };
        });
});

// Leave room for queues to drain running jobs on ctrl-C / SIGTERM.
var drain = jobOptions.GetValue<TimeSpan?>(nameof(OrleansJobsOptions.ShutdownDrainTimeout)) ?? new OrleansJobsOptions().ShutdownDrainTimeout;
builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = drain + TimeSpan.FromSeconds(15));

// Every silo signs the jobs page's cookies and antiforgery tokens with one key ring, kept in the job store.
builder.Services.AddDataProtection().SetApplicationName("OrleansJobs").PersistKeysToOrleansJobsStore();
builder.Services.AddHealthChecks().AddCheck<GridHealthCheck>("grid", tags: ["ready"]);
var adminKey = AdminKey.Resolve(
    builder.Configuration["OrleansJobs:Http:AdminKey"],
    builder.Environment.IsDevelopment(),
    Path.GetDirectoryName(Path.GetFullPath(settings.DataPath))!);
builder.Services.AddOrleansJobsHttpApi(http =>
{
    builder.Configuration.GetSection("OrleansJobs:Http").Bind(http);
    http.AdminKey = adminKey.Secret;
});

var app = builder.Build();
app.UseOrleansJobsHttpApi();
app.MapOrleansJobsHttpApi(mapPages: adminKey.Origin != AdminKeyOrigin.None);
if (adminKey.Origin != AdminKeyOrigin.None)
{
    app.MapOrleansJobsDashboard();
}

StartupBanner.LogWhenStarted(app, settings, adminKey);
// Liveness: the process answers. Readiness: the silo joined the cluster and the store answers.
app.MapHealthChecks("/health/live", new() { Predicate = _ => false });
app.MapHealthChecks("/health/ready", new() { Predicate = check => check.Tags.Contains("ready") });
app.Run();
