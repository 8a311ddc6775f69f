using OrleansJobs.Storage;

namespace OrleansJobs.Tests.Unit;

/// <summary>How a search merges its job types' pages: the state's order, the page size, and where the next page starts.</summary>
public sealed class JobSearchTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.Parse("2026-12-06T10:00:00Z");
    private readonly JobIdGenerator _ids = new(TimeProvider.System);

    private JobInfo Job(string type, JobPriority priority, DateTimeOffset runAt) => new()
    {
        Id = _ids.Next(), Tenant = "t", JobType = type, State = JobState.Enqueued, Priority = priority, Attempt = 0, MaxAttempts = 1, CreatedAt = T0, RunAt = runAt,
    };

    private static JobListPage Page(JobState state, string? next, params JobInfo[] jobs) =>
        new(jobs, next) { Places = [.. jobs.Select(j => Place(state, j))] };

    private static string Place(JobState state, JobInfo job) => state == JobState.Enqueued
        ? $"{(int)job.Priority}|{job.RunAt.UtcTicks}|{job.Id}"
        : job.Id.ToString();

    [Fact]
    public void Waiting_jobs_of_several_types_merge_by_priority_then_due_time_and_the_cursor_is_the_last_ones_place()
    {
        var a1 = Job("a", JobPriority.High, T0.AddSeconds(5));
        var a2 = Job("a", JobPriority.Low, T0);
        var b1 = Job("b", JobPriority.High, T0.AddSeconds(1));
        var b2 = Job("b", JobPriority.Normal, T0);

        var merged = JobSearch.Merge(JobState.Enqueued, [Page(JobState.Enqueued, null, a1, a2), Page(JobState.Enqueued, null, b1, b2)], 3);

        Assert.Equal([b1.Id, a1.Id, b2.Id], merged.Jobs.Select(j => j.Id));
        Assert.Equal(Place(JobState.Enqueued, b2), merged.Next);
    }

    [Fact]
    public void Finished_jobs_merge_newest_first_and_the_last_page_has_no_cursor()
    {
        var older = Job("a", JobPriority.Normal, T0);
        var newer = Job("b", JobPriority.Normal, T0);

        var merged = JobSearch.Merge(JobState.Succeeded, [Page(JobState.Succeeded, null, older), Page(JobState.Succeeded, null, newer)], 2);

        Assert.Equal([newer.Id, older.Id], merged.Jobs.Select(j => j.Id));
        Assert.Null(merged.Next);
    }

    [Fact]
    public void A_type_with_more_than_its_page_keeps_the_search_going_even_when_the_merge_fits()
    {
        var only = Job("a", JobPriority.Normal, T0);
        var place = Place(JobState.Succeeded, only);

        var merged = JobSearch.Merge(JobState.Succeeded, [Page(JobState.Succeeded, place, only)], 1);

        Assert.Equal(place, merged.Next);
        Assert.Null(JobSearch.Merge(JobState.Succeeded, [Page(JobState.Succeeded, null)], 1).Next);
    }

    [Fact]
    public void A_place_that_is_not_of_the_states_list_is_refused_by_field()
    {
        var error = Assert.Throws<JobValidationException>(() => JobListSql.PlaceOrder(JobState.Enqueued).Compare("1|2", "1|2|3"));
        Assert.Equal("cursor", error.Field);
    }
}
