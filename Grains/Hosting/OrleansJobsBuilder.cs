using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OrleansJobs.Handlers;
using OrleansJobs.Storage;
using OrleansJobs.Storage.Postgres;
using OrleansJobs.Storage.Sqlite;

namespace OrleansJobs.Hosting;

/// <summary>Adds handlers and chooses the job store; returned by <c>AddOrleansJobs</c>.</summary>
public sealed class OrleansJobsBuilder
{
    internal OrleansJobsBuilder(ISiloBuilder silo) => Silo = silo;

    /// <summary>The silo being configured.</summary>
    public ISiloBuilder Silo { get; }

    /// <summary>The silo's services.</summary>
    public IServiceCollection Services => Silo.Services;

    /// <summary>
    /// Runs jobs of type <paramref name="jobType"/> with <typeparamref name="THandler"/>, resolved
    /// from a DI scope per attempt. The name must match <c>^[a-z0-9][a-z0-9_.-]{0,62}$</c>.
    /// </summary>
    public OrleansJobsBuilder AddJobHandler<TPayload, THandler>(string jobType, Action<JobTypeOptions>? configure = null)
        where THandler : class, IJobHandler<TPayload>
    {
        JobValidator.ValidateName(jobType, nameof(jobType));
        Services.TryAddScoped<THandler>();
        Services.AddSingleton(new JobHandlerDescriptor(jobType, typeof(TPayload), typeof(THandler), configure, JobTypeRegistration.CreateInvoker<TPayload, THandler>()));
        return this;
    }

    /// <summary>
    /// Keeps jobs in an embedded SQLite file: the single-silo default. Also registers in-memory
    /// reminders, since a lone silo wakes its queues from the store after a restart.
    /// </summary>
    public OrleansJobsBuilder UseSqliteStore(Action<SqliteStoreOptions>? configure = null)
    {
        var options = Services.AddOptions<SqliteStoreOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        Services.RemoveAll<IJobStore>();
        Services.AddSingleton<IJobStore, SqliteJobStore>();
        Silo.UseInMemoryReminderService();
        return this;
    }

    /// <summary>
    /// Keeps jobs in PostgreSQL, in the project's own tables (created or upgraded at silo start).
    /// Choose Orleans clustering and reminders for a multi-silo cluster separately.
    /// </summary>
    public OrleansJobsBuilder UsePostgresStore(Action<PostgresStoreOptions> configure)
    {
        Services.AddOptions<PostgresStoreOptions>().Configure(configure);
        Services.RemoveAll<IJobStore>();
        Services.AddSingleton<IJobStore, PostgresJobStore>();
        return this;
    }

    /// <summary>
    /// The production setup: jobs in PostgreSQL, plus Orleans clustering, reminders and grain storage
    /// (named <see cref="GrainStorageName"/>) on the same database through the ADO.NET providers. The
    /// schema for both is applied at silo start. Clients join with <c>UseAdoNetClustering</c> and the
    /// same connection string, cluster id and service id.
    /// </summary>
    public OrleansJobsBuilder UsePostgres(Action<PostgresStoreOptions> configure)
    {
        UsePostgresStore(configure);
        var options = new PostgresStoreOptions();
        configure(options);
        Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>, OrleansSchemaLifecycle>();
        Silo.UseAdoNetClustering(o =>
        {
            o.Invariant = PostgresInvariant;
            o.ConnectionString = options.ConnectionString;
        });
        Silo.UseAdoNetReminderService(o =>
        {
            o.Invariant = PostgresInvariant;
            o.ConnectionString = options.ConnectionString;
        });
        Silo.AddAdoNetGrainStorage(GrainStorageName, o =>
        {
            o.Invariant = PostgresInvariant;
            o.ConnectionString = options.ConnectionString;
        });
        return this;
    }

    /// <summary>The grain storage provider <see cref="UsePostgres"/> registers, for the grid's small per-queue state.</summary>
    public const string GrainStorageName = "orleansjobs";

    /// <summary>The ADO.NET invariant of Npgsql.</summary>
    public const string PostgresInvariant = "Npgsql";
}
