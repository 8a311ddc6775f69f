using Microsoft.Extensions.Diagnostics.HealthChecks;
using Orleans.Runtime;
using OrleansJobs.Storage;

namespace OrleansJobs.Silo;

/// <summary>Ready when this silo is an active cluster member and the job store answers.</summary>
internal sealed class GridHealthCheck(IClusterMembershipService membership, ILocalSiloDetails localSilo, IMaintenanceStore store) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var status = membership.CurrentSnapshot.GetSiloStatus(localSilo.SiloAddress);
        if (status != SiloStatus.Active)
        {
            return HealthCheckResult.Unhealthy($"silo is {status}, not Active");
        }

        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            await store.PingAsync(timeout.Token);
            return HealthCheckResult.Healthy();
        }
        catch (Exception ex)
        {
            return HealthCheckResult.Unhealthy("job store does not answer", ex);
        }
    }
}
