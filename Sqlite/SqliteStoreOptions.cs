namespace OrleansJobs.Storage.Sqlite;

/// <summary>Settings of the embedded SQLite job store.</summary>
public sealed class SqliteStoreOptions
{
    /// <summary>The database file. Its folder is created if missing. <value>Defaults to <c>./data/orleansjobs.db</c>.</value></summary>
    public string Path { get; set; } = System.IO.Path.Combine("data", "orleansjobs.db");

    /// <summary>
    /// Whether each commit waits for fsync (<c>synchronous=FULL</c>), so an acknowledged job survives
    /// power loss, not only a process crash. <value>Defaults to true.</value>
    /// </summary>
    public bool FsyncOnCommit { get; set; } = true;
}
