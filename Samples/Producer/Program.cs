// Enqueues sample jobs into a running grid through an external client.
// Usage: dotnet run --project Samples/Producer [count] [gatewayPort]
// With ConnectionStrings__OrleansJobs set it joins a PostgreSQL cluster (deploy/cluster.sh) instead
// of the local silo; started by Samples/AppHost it takes the cluster .NET Aspire describes.
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OrleansJobs;

var count = args.Length > 0 ? int.Parse(args[0]) : 20;
var gatewayPort = args.Length > 1 ? int.Parse(args[1]) : 30000;

var builder = Host.CreateApplicationBuilder();

// The sample's own lines are the point; the Orleans client's start-up chatter would bury them.
builder.Logging.SetMinimumLevel(LogLevel.Warning);
var postgres = builder.Configuration.GetConnectionString("OrleansJobs");
builder.UseOrleansClient(client =>
{
    if (builder.Configuration["Orleans:Clustering:ProviderType"] is not null)
    {
        // .NET Aspire (Samples/AppHost) names the cluster and its clustering provider under Orleans:*; Orleans reads them itself.
        return;
    }

    if (postgres is null)
    {
        client.UseLocalhostClustering(gatewayPort);
        return;
    }

    client.Configure<Orleans.Configuration.ClusterOptions>(o => o.ClusterId = o.ServiceId = "orleansjobs");
    client.UseAdoNetClustering(o =>
    {
        o.Invariant = "Npgsql";
        o.ConnectionString = postgres;
    });
});
builder.Services.AddOrleansJobsClient();
using var host = builder.Build();
await host.StartAsync();
var jobs = host.Services.GetRequiredService<IJobClient>();

for (var i = 0; i < count; i++)
{
    await jobs.EnqueueAsync("acme", "email.send", new { to = $"user{i}@example.com", subject = "Welcome" });
    await jobs.EnqueueAsync("acme", "webhook.deliver", new { url = $"https://hooks.example.com/{i}", failureRate = 0.6 });
}

var later = await jobs.EnqueueAfterAsync("acme", "email.send", new { to = "later@example.com", subject = "Reminder" }, TimeSpan.FromSeconds(5));
Console.WriteLine($"Enqueued {2 * count} jobs and one delayed job {later}.");

try
{
    await jobs.EnqueueAsync("acme", "no.such-type", new { });
}
catch (JobValidationException ex)
{
    Console.WriteLine($"Refused as expected: {ex.Message}");
}

await Task.Delay(TimeSpan.FromSeconds(8));
var dead = await jobs.ListDeadLettersAsync("acme");
Console.WriteLine($"{dead.Jobs.Count} job(s) in acme's dead-letter queue; replaying them.");
Console.WriteLine($"Replayed {await jobs.ReplayAsync("acme", new DeadLetterFilter { JobType = "webhook.deliver" })}.");
Console.WriteLine($"Delayed job: {(await jobs.GetStatusAsync("acme", later))?.State}");
await host.StopAsync();
