namespace OrleansJobs.Storage.Postgres;

/// <summary>Settings of the PostgreSQL job store.</summary>
public sealed class PostgresStoreOptions
{
    /// <summary>An Npgsql connection string, e.g. <c>Host=db;Username=jobs;Password=…;Database=jobs</c>. Required.</summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>Most connections the store opens per silo; overrides the connection string's. <value>Defaults to 32.</value></summary>
    public int MaxPoolSize { get; set; } = 32;

    /// <summary>
    /// Group commits in flight at once per silo. Callers only send a write after the writes it depends
    /// on have committed (a lease after its insert, an outcome after its lease), so batches in
    /// parallel transactions never reorder one job's writes. <value>Defaults to 8.</value>
    /// </summary>
    public int ConcurrentWrites { get; set; } = 8;
}
