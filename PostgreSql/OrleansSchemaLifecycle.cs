using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.Runtime;

namespace OrleansJobs.Storage.Postgres;

/// <summary>
/// Creates or upgrades Orleans' own tables and named queries (<c>deploy/sql/postgres/orleans</c>)
/// just before the runtime starts, ahead of membership and reminders, which read them first.
/// </summary>
internal sealed class OrleansSchemaLifecycle(IOptions<PostgresStoreOptions> options) : ILifecycleParticipant<ISiloLifecycle>
{
    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(OrleansSchemaLifecycle), ServiceLifecycleStage.RuntimeInitialize - 1, ApplyAsync);

    private async Task ApplyAsync(CancellationToken cancellationToken)
    {
        await using var db = NpgsqlDataSource.Create(options.Value.ConnectionString);
        await PostgresMigrator.ApplyAsync(db, "postgres/orleans", "orleans_schema_version", cancellationToken);
    }
}
