using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OrleansJobs.Storage;
using OrleansJobs.Storage.Sqlite;

namespace OrleansJobs.Hosting;

/// <summary>Chooses the embedded SQLite job store.</summary>
public static class SqliteStoreBuilderExtensions
{
    /// <summary>
    /// Keeps jobs in an embedded SQLite file: the single-silo default. Also keeps the silo's reminders
    /// in process memory (<see cref="LocalReminderTable"/>), since a lone silo wakes its queues from the
    /// store after a restart.
    /// </summary>
    public static OrleansJobsBuilder UseSqliteStore(this OrleansJobsBuilder builder, Action<SqliteStoreOptions>? configure = null)
    {
        var options = builder.Services.AddOptions<SqliteStoreOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        builder.Services.RemoveAll<IJobStore>();
        builder.Services.AddSingleton<IJobStore, SqliteJobStore>();
        builder.Silo.AddReminders();
        builder.Services.RemoveAll<IReminderTable>();
        builder.Services.AddSingleton<IReminderTable, LocalReminderTable>();
        return builder;
    }
}
