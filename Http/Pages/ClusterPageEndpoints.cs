using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using OrleansJobs.Execution;
using OrleansJobs.Handlers;
using OrleansJobs.Http.Pages.Components;
using OrleansJobs.Storage;

namespace OrleansJobs.Http.Pages;

/// <summary>The pages that look across queues and silos: the overview's last hour, and the cluster's silos.</summary>
internal static class ClusterPageEndpoints
{
    /// <summary>Minutes the overview's charts show.</summary>
    private const int OverviewMinutes = 60;

    /// <summary>Queues the overview reads at most, for each of its lists.</summary>
    private const int OverviewQueues = 500;

    /// <summary>How long the silos page waits for a silo's figures.</summary>
    private static readonly TimeSpan SiloWait = TimeSpan.FromSeconds(2);

    public static void Map(RouteGroupBuilder signedIn)
    {
        signedIn.MapGet("/overview", OverviewAsync);
        signedIn.MapGet("/silos", SilosAsync);
    }

    private static Task<IResult> OverviewAsync(HttpContext context, PageFrames frames, IHistoryStore history, JobTypeRegistry types, string? tenant, int? refresh) =>
        PageEndpoints.ShowAsync(context, frames, tenant, null, null, async frame =>
        {
            var read = await history.ReadHistoryAsync(HistoryQuery.Last(frame.Tenant, OverviewMinutes, frame.Now, OverviewQueues), context.RequestAborted);
            return PageEndpoints.Component<OverviewPage>(new
            {
                Frame = frame with { RefreshSeconds = refresh is >= 2 ? refresh : null },
                Overview = Overview.Build(read, types.WaitObjective, frame.Now, OverviewMinutes),
            });
        });

    private static Task<IResult> SilosAsync(HttpContext context, PageFrames frames, SiloDirectory silos, string? tenant) =>
        PageEndpoints.ShowAsync(context, frames, tenant, null, null, async frame =>
        {
            var entries = await silos.ListAsync(SiloWait, frame.Now, context.RequestAborted);
            return PageEndpoints.Component<SilosPage>(new { Frame = frame, Silos = entries.Select(e => new SiloRow(e)).ToList() });
        });
}
