namespace OrleansJobs.Storage.Postgres;

/// <summary>Settings of the PostgreSQL job store.</summary>
public sealed class PostgresStoreOptions
{
    /// <summary>An Npgsql connection string, e.g. <c>Host=db;Username=jobs;Password=…;Database=jobs</c>. Required.</summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>Most connections the store opens per silo; overrides the connection string's. <value>Defaults to 32.</value></summary>
    public int MaxPoolSize { get; set; } = 32;
}
