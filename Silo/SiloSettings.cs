namespace OrleansJobs.Silo;

/// <summary>The host's settings, section <c>OrleansJobs</c> (e.g. <c>--OrleansJobs:SiloPort=11112</c> or <c>OrleansJobs__SiloPort=11112</c>).</summary>
internal sealed class SiloSettings
{
    /// <summary>The SQLite file.</summary>
    public string DataPath { get; set; } = Path.Combine("data", "orleansjobs.db");

    /// <summary>Silo-to-silo port.</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>Port external clients connect to.</summary>
    public int GatewayPort { get; set; } = 30000;

    /// <summary>Handlers running at once per queue of the sample types.</summary>
    public int SampleConcurrency { get; set; } = 16;
}
