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

    private IEnumerable<Activity> Spans(string name, JobId id) =>
        _stopped.Where(a => a.DisplayName == name && a.GetTagItem("orleansjobs.job_id") as string == id.ToString());

    private static string Send(string type) => $"send {TenantA}/{type}";

    private static string Process(string type) => $"process {TenantA}/{type}";

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

        await fixture.Probe.WaitForAsync(() => Span(Process(ClusterFixture.Noop), id) is not null, "the handler's span to end");
        var enqueue = Span(Send(ClusterFixture.Noop), id)!;
        var run = Span(Process(ClusterFixture.Noop), id)!;
        Assert.Equal((ActivityKind.Producer, ActivityKind.Consumer), (enqueue.Kind, run.Kind));
        Assert.Equal(requestTrace, enqueue.TraceId);
        Assert.Equal(enqueue.TraceId, run.TraceId);
        Assert.Equal(enqueue.SpanId, run.ParentSpanId);
        Assert.Equal(1, run.GetTagItem("orleansjobs.attempt"));
        foreach (var span in new[] { enqueue, run })
        {
            Assert.Equal("orleansjobs", span.GetTagItem("messaging.system"));
            Assert.Equal($"{TenantA}/{ClusterFixture.Noop}", span.GetTagItem("messaging.destination.name"));
            Assert.Equal(id.ToString(), span.GetTagItem("messaging.message.id"));
        }

        Assert.Equal(("send", "process"), (enqueue.GetTagItem("messaging.operation.type"), run.GetTagItem("messaging.operation.type")));
    }

    [Fact]
    public async Task A_retry_runs_in_a_trace_of_its_own_linked_to_the_enqueue_span()
    {
        Listen();
        var id = await fixture.Jobs.EnqueueAsync(TenantA, ClusterFixture.Flaky, new ProbePayload(Fail: true), new EnqueueOptions { MaxAttempts = 2 });
        await fixture.Probe.WaitForAsync(() => Span(Process(ClusterFixture.Flaky), id) is not null, "the first attempt's span to end");
        fixture.Probe.Heal(id);
        await fixture.Probe.WaitForAsync(() => Spans(Process(ClusterFixture.Flaky), id).Count() == 2, "the retry's span to end");

        var enqueue = Span(Send(ClusterFixture.Flaky), id)!;
        var (first, retry) = (Spans(Process(ClusterFixture.Flaky), id).Single(a => (int)a.GetTagItem("orleansjobs.attempt")! == 1), Spans(Process(ClusterFixture.Flaky), id).Single(a => (int)a.GetTagItem("orleansjobs.attempt")! == 2));
        Assert.Equal(enqueue.SpanId, first.ParentSpanId);
        Assert.Equal(ActivityStatusCode.Error, first.Status);
        Assert.NotEqual(enqueue.TraceId, retry.TraceId);
        Assert.Equal(default, retry.ParentSpanId);
        var link = Assert.Single(retry.Links);
        Assert.Equal((enqueue.TraceId, enqueue.SpanId), (link.Context.TraceId, link.Context.SpanId));
    }

    [Fact]
    public async Task A_refused_enqueue_marks_its_span_as_an_error()
    {
        Listen();
        await Assert.ThrowsAsync<UnknownJobTypeException>(() => fixture.Jobs.EnqueueAsync(TenantA, "no.such.type", new ProbePayload()));
        var span = _stopped.Single(a => a.DisplayName == $"send {TenantA}/no.such.type");
        Assert.Equal(ActivityStatusCode.Error, span.Status);
        Assert.Equal(typeof(UnknownJobTypeException).FullName, span.GetTagItem("error.type"));
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

        await fixture.Probe.WaitForAsync(() => Span(Process(ClusterFixture.Noop), id) is not null, "the handler's span to end");
        Assert.Equal(traceId, Span(Process(ClusterFixture.Noop), id)!.TraceId);
    }
}
