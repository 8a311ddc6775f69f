// The grid under .NET Aspire: PostgreSQL, two silo replicas of the demo host and the producer sample,
// wired by Aspire's PostgreSQL and Orleans integrations. Run it with `dotnet run --project Samples/AppHost`
// on a machine with a container runtime (Aspire starts PostgreSQL in a container) and open the dashboard.
var builder = DistributedApplication.CreateBuilder(args);

var jobsDatabase = builder.AddPostgres("postgres")
    .AddDatabase("orleansjobs")
    // Orleans reads clustering from the database through its ADO.NET provider ("AdoNet" with the Npgsql invariant).
    .WithOrleansProviderType("AdoNet");

var orleans = builder.AddOrleans("grid")
    .WithClusterId("orleansjobs")
    .WithServiceId("orleansjobs")
    .WithClustering(jobsDatabase);

var silo = builder.AddProject<Projects.Silo>("silo")
    .WithReplicas(2)
    .WithReference(orleans)
    .WithReference(jobsDatabase)
    .WaitFor(jobsDatabase)
    .WithEnvironment("OrleansJobs__Storage", "Postgres")
    .WithEnvironment("Orleans__Clustering__Invariant", "Npgsql");

builder.AddProject<Projects.Producer>("producer")
    .WithReference(orleans.AsClient())
    .WithReference(jobsDatabase)
    .WithEnvironment("Orleans__Clustering__Invariant", "Npgsql")
    // Orleans' ADO.NET provider finds its connection string by ConnectionName; Aspire writes ServiceKey (the silo host copies it).
    .WithEnvironment("Orleans__Clustering__ConnectionName", "orleansjobs")
    .WaitFor(silo);

builder.Build().Run();
