using OrleansJobs.Http.Metrics;

namespace OrleansJobs.Tests.Unit;

public sealed class PrometheusNamesTests
{
    [Theory]
    [InlineData("orleansjobs.jobs.succeeded", "{job}", true, "orleansjobs_jobs_succeeded_total")]
    [InlineData("orleansjobs.job.run_time", "s", false, "orleansjobs_job_run_time_seconds")]
    [InlineData("orleansjobs.queue.backlog", "{job}", false, "orleansjobs_queue_backlog")]
    [InlineData("orleansjobs.queue.drain_time", "s", false, "orleansjobs_queue_drain_time_seconds")]
    [InlineData("orleansjobs.request.size", "By", false, "orleansjobs_request_size_bytes")]
    [InlineData("orleansjobs.cpu.busy", "1", false, "orleansjobs_cpu_busy_ratio")]
    [InlineData("orleansjobs.wait_seconds", "s", false, "orleansjobs_wait_seconds")]
    [InlineData("orleansjobs.hits_total", null, true, "orleansjobs_hits_total")]
    [InlineData("orleans-jobs..odd name", "", false, "orleans_jobs_odd_name")]
    public void Names_follow_the_opentelemetry_prometheus_rules(string name, string? unit, bool counter, string expected) =>
        Assert.Equal(expected, PrometheusNames.Of(name, unit, counter));
}
