using Npgsql;

namespace OrleansJobs.Storage.Postgres;

/// <summary>
/// Connections the server killed. A PostgreSQL restart (or <c>pg_terminate_backend</c>) ends every
/// session, but the idle connections in the pool learn of it only when next used, so each of them
/// failed one call, long after the database was back, and a queue whose activation drew one failed
/// to start. Such a failure now empties the pool of its idle connections, and the calls the queues
/// depend on run again on a fresh one.
/// </summary>
internal sealed partial class PostgresJobStore
{
    /// <summary>
    /// Runs <paramref name="call"/>, and again on another connection while the server had ended the
    /// one it drew: at most once per connection the pool can hold, since each dead one fails at once.
    /// A write is run again only when the server said it ended the session (then it rolled the
    /// transaction back); a read also when the connection simply broke.
    /// </summary>
    private async Task<T> ReconnectingAsync<T>(Func<Task<T>> call, bool readOnly)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await call();
            }
            catch (Exception ex) when (attempt < _maxPoolSize && IsKilledConnection(ex, readOnly))
            {
                _db.Clear();

                // Orleans' ADO.NET membership and reminder tables draw from Npgsql's shared pools, whose
                // idle connections died with these; only their idle ones go, at the cost of a reconnect.
                NpgsqlConnection.ClearAllPools();
            }
        }
    }

    private static bool IsKilledConnection(Exception error, bool readOnly) => error switch
    {
        // admin_shutdown (a restart or pg_terminate_backend) and crash_shutdown.
        PostgresException { SqlState: "57P01" or "57P02" } => true,
        NpgsqlException { InnerException: IOException or System.Net.Sockets.SocketException } => readOnly,
        _ => false,
    };
}
