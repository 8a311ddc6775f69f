using System.Text.Json;

namespace OrleansJobs;

/// <summary>Settings of <see cref="IJobClient"/>.</summary>
public sealed class JobClientOptions
{
    /// <summary>How payload objects become JSON. <value>Defaults to <see cref="JsonSerializerDefaults.Web"/>.</value></summary>
    public JsonSerializerOptions JsonSerializerOptions { get; set; } = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// Limits checked before a job is sent. Keep them at or below the silo's, which are checked
    /// again on arrival. <value>Defaults to <see cref="JobLimits.Default"/>.</value>
    /// </summary>
    public JobLimits Limits { get; set; } = JobLimits.Default;
}
