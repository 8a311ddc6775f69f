using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OrleansJobs.Storage;
using OrleansJobs.Storage.Postgres;

namespace OrleansJobs.Hosting;

/// <summary>Chooses PostgreSQL for the jobs and, with <see cref="UsePostgres"/>, for Orleans itself.</summary>
public static class PostgresStoreBuilderExtensions
{
    /// <summary>The grain storage provider <see cref="UsePostgres"/> registers, for the grid's small per-queue state.</summary>
    public const string GrainStorageName = "orleansjobs";

    /// <summary>The ADO.NET invariant of Npgsql.</summary>
    public const string PostgresInvariant = "Npgsql";

    /// <summary>
    /// Keeps jobs in PostgreSQL, in the project's own tables (created or upgraded at silo start).
    /// Choose Orleans clustering and reminders for a multi-silo cluster separately.
    /// </summary>
    public static OrleansJobsBuilder UsePostgresStore(this OrleansJobsBuilder builder, Action<PostgresStoreOptions> configure)
    {
        builder.Services.AddOptions<PostgresStoreOptions>().Configure(configure);
        builder.Services.RemoveAll<IJobStore>();
        builder.Services.AddSingleton<IJobStore, PostgresJobStore>();
        return builder;
    }

    /// <summary>
    /// The production setup: jobs in PostgreSQL, plus Orleans clustering, reminders and grain storage
    /// (named <see cref="GrainStorageName"/>) on the same database through the ADO.NET providers. The
    /// schema for both is applied at silo start. Clients join with <c>UseAdoNetClustering</c> and the
    /// same connection string, cluster id and service id. Where the configuration already names a
    /// clustering or reminder provider (<c>Orleans:Clustering:ProviderType</c>,
    /// <c>Orleans:Reminders:ProviderType</c>, as .NET Aspire's Orleans integration sets them), Orleans
    /// configures that one from it and this leaves it alone.
    /// </summary>
    public static OrleansJobsBuilder UsePostgres(this OrleansJobsBuilder builder, Action<PostgresStoreOptions> configure)
    {
        builder.UsePostgresStore(configure);
        var options = new PostgresStoreOptions();
        configure(options);
        builder.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, OrleansSchemaLifecycle>();
        if (builder.Silo.Configuration["Orleans:Clustering:ProviderType"] is null)
        {
            builder.Silo.UseAdoNetClustering(o =>
            {
                o.Invariant = PostgresInvariant;
                o.ConnectionString = options.ConnectionString;
            });
        }

        if (builder.Silo.Configuration["Orleans:Reminders:ProviderType"] is null)
        {
            builder.Silo.UseAdoNetReminderService(o =>
            {
                o.Invariant = PostgresInvariant;
                o.ConnectionString = options.ConnectionString;
            });
        }

        builder.Silo.AddAdoNetGrainStorage(GrainStorageName, o =>
        {
            o.Invariant = PostgresInvariant;
            o.ConnectionString = options.ConnectionString;
        });
        return builder;
    }
}
