using Orleans.Runtime;

namespace OrleansJobs.Execution;

/// <summary>One cluster member as the silos page shows it: membership's view, and what the silo said of itself when it answered.</summary>
internal sealed record SiloEntry(string Address, string Name, string Host, SiloStatus Status, DateTimeOffset StartedAt, DateTimeOffset LastAlive, bool IsLocal, SiloReport? Report);

/// <summary>
/// The cluster's silos for the silos page: membership (every member still in the table, live or not) and,
/// from each active one, its own <see cref="SiloReport"/> through its <see cref="IJobRunnerService"/>. A silo
/// that does not answer within the wait is listed without a report rather than holding the page.
/// </summary>
internal sealed class SiloDirectory(IGrainFactory grains, IJobRunnerClient runners, ILocalSiloDetails local)
{
    /// <summary>Members that are not active are listed only when they were alive this recently.</summary>
    private static readonly TimeSpan GoneShownFor = TimeSpan.FromHours(1);

    public async Task<IReadOnlyList<SiloEntry>> ListAsync(TimeSpan wait, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var hosts = await grains.GetGrain<IManagementGrain>(0).GetDetailedHosts(onlyActive: false).WaitAsync(cancellationToken);
        var shown = hosts.Where(h => h.Status == SiloStatus.Active || now - Utc(h.IAmAliveTime) < GoneShownFor);
        var entries = await Task.WhenAll(shown.Select(async h => new SiloEntry(
            h.SiloAddress.ToString(),
            h.SiloName,
            h.HostName,
            h.Status,
            Utc(h.StartTime),
            Utc(h.IAmAliveTime),
            h.SiloAddress.Equals(local.SiloAddress),
            h.Status == SiloStatus.Active ? await ReportAsync(h.SiloAddress, wait, cancellationToken) : null)));
        return [.. entries.OrderBy(e => e.Status == SiloStatus.Active ? 0 : 1).ThenBy(e => e.Name, StringComparer.Ordinal).ThenByDescending(e => e.StartedAt)];
    }

    private async Task<SiloReport?> ReportAsync(SiloAddress silo, TimeSpan wait, CancellationToken cancellationToken)
    {
        try
        {
            return await runners.On(silo).DescribeAsync().WaitAsync(wait, cancellationToken);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            // Slow, stopping or unreachable: the page says it did not answer.
            return null;
        }
    }

    private static DateTimeOffset Utc(DateTime time) => new(DateTime.SpecifyKind(time, DateTimeKind.Utc));
}
