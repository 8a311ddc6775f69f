namespace OrleansJobs.Storage;

/// <summary>
/// What a person looks for among a tenant's jobs: one state, of one job type or all, created within a window,
/// with a last error containing a text; <paramref name="After"/> is the cursor a previous page gave.
/// </summary>
internal sealed record JobSearchRequest(string Tenant, JobState State, string? JobType, DateTimeOffset? CreatedFrom, DateTimeOffset? CreatedTo, string? ErrorContains, string? After, int Limit);

/// <summary>A page of found jobs; <paramref name="Next"/> continues after it (null on the last); <paramref name="JobTypesLeftOut"/> when the tenant has more job types than one search reads.</summary>
internal sealed record JobSearchPage(IReadOnlyList<JobInfo> Jobs, string? Next, bool JobTypesLeftOut);

/// <summary>
/// Searches a tenant's jobs across its job types: one keyset page per job type with jobs in the state
/// (each along its state's index, from the same cursor), merged in the state's order. A page costs
/// O(job types × page) whatever the number of jobs; the error text is matched by skipping rows (not indexed).
/// Dead jobs are read in one walk of the tenant's dead-letter index instead.
/// </summary>
internal static class JobSearch
{
    /// <summary>Job types one search reads at most.</summary>
    public const int MaxJobTypes = 200;

    /// <summary>Pages read at once.</summary>
    private const int Parallel = 4;

    /// <exception cref="JobValidationException">The cursor is not one a search of this state gave.</exception>
    public static async Task<JobSearchPage> SearchAsync(IAdminStore store, JobSearchRequest request, CancellationToken cancellationToken)
    {
        if (request.After is { } after)
        {
            // Read before any store call, so a bad cursor is refused even when no job type has jobs to list.
            JobListSql.PlaceOrder(request.State).Compare(after, after);
        }

        // Dead jobs have one index per tenant, so one walk serves every type; the other states' indexes start with the type.
        var types = request.JobType is { } one ? [one]
            : request.State == JobState.Dead ? [""]
            : await store.ListJobTypesAsync(request.Tenant, request.State, MaxJobTypes + 1, cancellationToken);
        var read = types.Take(MaxJobTypes).ToList();
        var pages = new JobListPage[read.Count];
        using var gate = new SemaphoreSlim(Parallel);
        await Task.WhenAll(read.Select(async (type, i) =>
        {
            await gate.WaitAsync(cancellationToken);
            try
            {
                pages[i] = await store.ListJobsAsync(
                    new JobListing(new QueueKey(request.Tenant, type), request.State, request.After, request.Limit)
                    {
                        CreatedFrom = request.CreatedFrom,
                        CreatedTo = request.CreatedTo,
                        ErrorContains = request.ErrorContains,
                    },
                    cancellationToken);
            }
            finally
            {
                gate.Release();
            }
        }));
        return Merge(request.State, pages, request.Limit) with { JobTypesLeftOut = types.Count > MaxJobTypes };
    }

    /// <summary>
    /// The first <paramref name="limit"/> jobs of the pages in the state's order, and the cursor after them when
    /// any page had more. Each page holds its queue's first jobs after the same cursor, so the merged first ones are
    /// the tenant's first ones.
    /// </summary>
    internal static JobSearchPage Merge(JobState state, IReadOnlyList<JobListPage> pages, int limit)
    {
        var rows = pages.SelectMany(p => p.Jobs.Zip(p.Places)).OrderBy(r => r.Second, JobListSql.PlaceOrder(state)).ToList();
        var taken = rows.Take(limit).ToList();
        var more = rows.Count > limit || pages.Any(p => p.Next is not null);
        return new JobSearchPage([.. taken.Select(r => r.First)], more && taken.Count > 0 ? taken[^1].Second : null, false);
    }
}
