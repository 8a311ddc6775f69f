using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using OrleansJobs.Http.Endpoints;
using OrleansJobs.Tests.Cluster;
using static OrleansJobs.Tests.Http.HttpApiFixture;

namespace OrleansJobs.Tests.Http;

/// <summary>The handler's span joins the trace of whoever enqueued the job: a .NET caller's span, or an HTTP request's traceparent.</summary>
[Collection(HttpApiCollection.Name)]
public sealed class TracingTests(HttpApiFixture fixture) : IDisposable
{
    private readonly ConcurrentQueue<Activity> _stopped = new();
    private readonly ActivityListener _listener = new()
    {
        ShouldListenTo = source => source.Name is OrleansJobsTelemetry.ActivitySourceName or "Microsoft.AspNetCore" or "test.app",
        Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
    };

    private void Listen()
    {
        _listener.ActivityStopped = _stopped.Enqueue;
        ActivitySource.AddActivityListener(_listener);
    }

    public void Dispose() => _listener.Dispose();

    private Activity? Span(string name, JobId id) =>
        _stopped.FirstOrDefault(a => a.DisplayName == name && a.GetTagItem("orleansjobs.job_id") as string == id.ToString());

    [Fact]
    public async Task A_producer_span_and_the_handler_span_share_a_trace_and_the_handler_span_is_its_child()
    {
        Listen();
        using var app = new ActivitySource("test.app");
        JobId id;
        ActivityTraceId requestTrace;
        using (var request = app.StartActivity("POST /orders")!)
        {
            requestTrace = request.TraceId;
            id = await fixture.Jobs.EnqueueAsync(TenantA, ClusterFixture.Noop, new ProbePayload());
        }

        await fixture.Probe.WaitForAsync(() => Span($"run {ClusterFixture.Noop}", id) is not null, "the handler's span to end");
        var enqueue = Span($"enqueue {ClusterFixture.Noop}", id)!;
        var run = Span($"run {ClusterFixture.Noop}", id)!;
        Assert.Equal((ActivityKind.Producer, ActivityKind.Consumer), (enqueue.Kind, run.Kind));
        Assert.Equal(requestTrace, enqueue.TraceId);
        Assert.Equal(enqueue.TraceId, run.TraceId);
        Assert.Equal(enqueue.SpanId, run.ParentSpanId);
        Assert.Equal(1, run.GetTagItem("orleansjobs.attempt"));
    }

    [Fact]
    public async Task An_http_request_with_a_traceparent_continues_into_the_handler_span()
    {
        Listen();
        var traceId = ActivityTraceId.CreateRandom();
        using var client = fixture.Client(TenantA, OrleansJobs.Security.ApiKeyRole.Producer);
        var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/tenants/{TenantA}/jobs") { Content = JsonContent.Create(new { jobType = ClusterFixture.Noop, payload = new { } }) };
        request.Headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom()}-01");
        var id = (await (await client.SendAsync(request)).Content.ReadFromJsonAsync<EnqueueResponse>(HttpJson.Options))!.Id;

        await fixture.Probe.WaitForAsync(() => Span($"run {ClusterFixture.Noop}", id) is not null, "the handler's span to end");
        Assert.Equal(traceId, Span($"run {ClusterFixture.Noop}", id)!.TraceId);
    }
}
