using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using OrleansJobs.Http.Pages.Components;
using OrleansJobs.Storage;

namespace OrleansJobs.Http.Pages;

/// <summary>The jobs search page: a tenant's jobs in one state, of any or one job type, by creation time and last error (<see cref="JobSearch"/>).</summary>
internal static class SearchPageEndpoint
{
    /// <summary>Jobs per page.</summary>
    private const int JobsPerPage = 50;

    /// <summary>Job types offered in the type field's suggestions.</summary>
    private const int SuggestedTypes = 100;

    public static void Map(RouteGroupBuilder signedIn) => signedIn.MapGet("/search", SearchAsync);

    private static Task<IResult> SearchAsync(HttpContext context, PageFrames frames, IAdminStore store, string? tenant, string? state, string? jobType, string? from, string? to, string? error, string? cursor) =>
        PageEndpoints.ShowAsync(context, frames, tenant, null, null, async frame =>
        {
            if (frame.Tenant is null)
            {
                return PageEndpoints.Component<ProblemPage>(new { Frame = frame, Title = "Jobs", Text = "Choose a tenant above: this page searches one tenant at a time." });
            }

            var shown = Format.ParseState(state);
            var filter = DeadLetterFilters.Parse(jobType, error, from, to);
            var page = await JobSearch.SearchAsync(
                store,
                new JobSearchRequest(frame.Tenant, shown, filter.JobType, filter.From, filter.To, filter.ErrorContains, cursor is { Length: > 0 } ? cursor : null, JobsPerPage),
                context.RequestAborted);
            var types = await store.ListQueuesAsync(new QueueListing(frame.Tenant, null, SuggestedTypes), context.RequestAborted);
            return PageEndpoints.Component<SearchPage>(new
            {
                Frame = frame,
                State = shown,
                JobType = filter.JobType,
                CreatedFrom = filter.From,
                CreatedTo = filter.To,
                ErrorContains = filter.ErrorContains,
                JobTypes = types.Queues.Select(q => q.JobType).ToList(),
                Page = new FoundJobs(page.Jobs, page.Next, page.JobTypesLeftOut),
            });
        });
}
