namespace OrleansJobs.Silo;

/// <summary>Where the host keeps its jobs.</summary>
internal enum StorageMode
{
    /// <summary>One silo, jobs in a SQLite file: the default.</summary>
    Sqlite,

    /// <summary>A cluster of silos on PostgreSQL (connection string <c>ConnectionStrings:OrleansJobs</c>).</summary>
    Postgres,
}

/// <summary>The host's settings, section <c>OrleansJobs</c> (e.g. <c>--OrleansJobs:SiloPort=11112</c> or <c>OrleansJobs__SiloPort=11112</c>).</summary>
internal sealed class SiloSettings
{
    /// <summary>Embedded SQLite or a PostgreSQL cluster.</summary>
    public StorageMode Storage { get; set; } = StorageMode.Sqlite;

    /// <summary>The SQLite file (embedded mode).</summary>
    public string DataPath { get; set; } = Path.Combine("data", "orleansjobs.db");

    /// <summary>Silo-to-silo port.</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>Port external clients connect to.</summary>
    public int GatewayPort { get; set; } = 30000;

    /// <summary>The address other silos and clients reach this silo on (cluster mode).</summary>
    public string AdvertisedAddress { get; set; } = "127.0.0.1";

    /// <summary>Silos with the same cluster id form one cluster.</summary>
    public string ClusterId { get; set; } = "orleansjobs";

    /// <summary>Identifies the service across deployments; reminders and grain state are keyed by it.</summary>
    public string ServiceId { get; set; } = "orleansjobs";

    /// <summary>Handlers running at once per queue of the sample types.</summary>
    public int SampleConcurrency { get; set; } = 16;
}
