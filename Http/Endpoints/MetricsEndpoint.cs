using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using OrleansJobs.Http.Security;
using OrleansJobs.Security;
using Prometheus;

namespace OrleansJobs.Http.Endpoints;

/// <summary>
/// <c>GET /metrics</c> in Prometheus text format, from prometheus-net's registry, which publishes the
/// grid's <c>OrleansJobs</c> meter (and the process's own metrics). Queue names are tenant data, so
/// scraping takes an admin key unless <see cref="HttpApiOptions.AnonymousMetrics"/> is set.
/// </summary>
internal static class MetricsEndpoint
{
    /// <summary>
    /// prometheus-net's own meter adapter starts at the first scrape and misses every count made
    /// before it, so it is replaced by one started with the host, once per process. Runtime
    /// internals ("Private." meters) stay out.
    /// </summary>
    private static readonly Lazy<IDisposable> MeterBridge = new(() =>
    {
        Metrics.SuppressDefaultMetrics(new SuppressDefaultMetricOptions { SuppressMeters = true });
        return MeterAdapter.StartListening(new MeterAdapterOptions
        {
            InstrumentFilterPredicate = instrument => !instrument.Meter.Name.StartsWith("Private.", StringComparison.Ordinal),
        });
    });

    public static void Map(IEndpointRouteBuilder endpoints, bool anonymous)
    {
        _ = MeterBridge.Value;

        var metrics = endpoints.MapGet("/metrics", async (HttpContext context, CancellationToken cancellationToken) =>
            {
                context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
                await Metrics.DefaultRegistry.CollectAndExportAsTextAsync(context.Response.Body, cancellationToken);
            });
        metrics.ExcludeFromDescription();
        if (!anonymous)
        {
            metrics.AddEndpointFilter<ApiKeyFilter>().AddEndpointFilter(new RoleFilter(ApiKeyRole.Admin));
        }
    }
}
