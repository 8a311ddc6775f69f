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

    /// <summary>
    /// How long an enqueue is sent again after it timed out, reached a silo that was leaving, was
    /// rejected or lost its connection (a rolling deploy, a silo crash). Every try carries the job ids
    /// chosen before the first, so a job is stored once however many tries reach the grid; when the
    /// time is up, <see cref="EnqueueOutcomeUnknownException"/> names those ids. <see cref="TimeSpan.Zero"/>
    /// turns the retries off. <value>Defaults to one minute: longer than Orleans' 30-second response timeout.</value>
    /// </summary>
    public TimeSpan EnqueueRetryFor { get; set; } = TimeSpan.FromMinutes(1);
}
