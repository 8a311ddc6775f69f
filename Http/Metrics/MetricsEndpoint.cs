using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using OrleansJobs.Http.Security;
using OrleansJobs.Security;
using Prometheus;

namespace OrleansJobs.Http.Metrics;

/// <summary>
/// <c>GET /metrics</c> in Prometheus text format, from prometheus-net's registry, which publishes the
/// grid's <c>OrleansJobs</c> meter (and the process's own metrics). Queue names are tenant data, so
/// scraping takes an admin key unless <see cref="HttpApiOptions.AnonymousMetrics"/> is set.
/// </summary>
internal static class MetricsEndpoint
{
    /// <summary>
    /// Started with the host, once per process: prometheus-net's default meter adapter starts at the
    /// first scrape and misses every count made before it. The grid's own meter goes through
    /// <see cref="PrometheusNetBridge"/> (OpenTelemetry's names and types); other meters (Orleans,
    /// ASP.NET Core) through prometheus-net's adapter; runtime internals ("Private." meters) stay out.
    /// </summary>
    private static readonly Lazy<IDisposable[]> MeterBridge = new(() =>
    {
        Prometheus.Metrics.SuppressDefaultMetrics(new SuppressDefaultMetricOptions { SuppressMeters = true });
        return
        [
            new PrometheusNetBridge(Prometheus.Metrics.DefaultRegistry),
            MeterAdapter.StartListening(new MeterAdapterOptions
            {
                InstrumentFilterPredicate = instrument => !instrument.Meter.Name.StartsWith("Private.", StringComparison.Ordinal)
                    && instrument.Meter.Name != OrleansJobs.Diagnostics.JobsMetrics.MeterName,
            }),
        ];
    });

    public static void Map(IEndpointRouteBuilder endpoints, string path, bool anonymous)
    {
        _ = MeterBridge.Value;

        var metrics = endpoints.MapGet(path, async (HttpContext context, CancellationToken cancellationToken) =>
            {
                context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
                await Prometheus.Metrics.DefaultRegistry.CollectAndExportAsTextAsync(context.Response.Body, cancellationToken);
            });
        metrics.ExcludeFromDescription();
        if (!anonymous)
        {
            metrics.AddEndpointFilter<ApiKeyFilter>().AddEndpointFilter(new RoleFilter(ApiKeyRole.Admin));
        }
    }
}
