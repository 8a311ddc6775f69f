using OrleansJobs.Storage;

namespace OrleansJobs.Queues.Core;

/// <summary>
/// Priority aging: on each housekeeping tick, due jobs below high priority that have waited the
/// policy's time move up to high in the store, and the window takes them at their new place.
/// </summary>
internal sealed partial class QueueCore
{
    private bool _aging;

    /// <summary>
    /// Jobs aged while the window did not hold them, kept while a page read or a promotion that may
    /// predate the aging is still under way: its answer would offer them at their old priority, and the
    /// window would then misplace them (seed 730 of the long run, among others).
    /// </summary>
    private Dictionary<JobId, ReadyJob>? _agedElsewhere;
    private bool _pageMayPredateAging;
    private bool _promotionMayPredateAging;

    /// <summary>Asks the store to age the queue's waiting jobs, if its policy ages them and some may be old enough.</summary>
    private void AgeIfDue(DateTimeOffset now)
    {
        if (Policy.PriorityAging is not { } age || Draining || _aging)
        {
            return;
        }

        // With the store mirrored, the window holds every due job no attempt holds: it alone says whether one is old enough.
        var since = now - age;
        if (Window.StoreHasMore || Window.InRunOrder.Any(j => j.Priority != JobPriority.High && j.RunAt <= since))
        {
            _aging = true;
            Emit(new AgeWaiting(since, Window.Capacity));
        }
    }

    /// <summary>
    /// The store moved these jobs up to high priority. Those in the window take their new place; one it
    /// did not hold may now belong at the head of the queue, so the next page is read from the top.
    /// </summary>
    public void JobsAged(DateTimeOffset now, IReadOnlyList<ReadyJob> aged)
    {
        At(now);
        _aging = false;
        var outside = false;
        foreach (var job in aged)
        {
            Heads?.Remove(job.Id);
            if (Window.Remove(job.Id))
            {
                Window.Offer(job);
            }
            else
            {
                if (Attempts.Holds(job.Id) && _offeredWhileHeld.ContainsKey(job.Id))
                {
                    _offeredWhileHeld[job.Id] = job;
                }

                outside |= !Attempts.Holds(job.Id);
                (_agedElsewhere ??= [])[job.Id] = job;
            }
        }

        _pageMayPredateAging |= _agedElsewhere is not null && Window.Reading == PageReading.Reading;
        _promotionMayPredateAging |= _agedElsewhere is not null && Due.State == DueState.Checking;
        ForgetAgedIfNothingPredates();
        if (outside)
        {
            Heads?.MayHaveNew();
            Window.MarkStoreHasMore();
            Read(force: true);
        }

        Pump();
    }

    public void AgingFailed(DateTimeOffset now)
    {
        At(now);
        _aging = false;
    }

    /// <summary>
    /// The answer of a page read or promotion came (<paramref name="jobs"/>; none when it failed). If it may
    /// predate an aging, its jobs come at the priority the store has now given them, and it predates no more.
    /// </summary>
    private IReadOnlyList<ReadyJob> AnsweredSinceAging(ref bool mayPredate, IReadOnlyList<ReadyJob> jobs)
    {
        if (!mayPredate)
        {
            return jobs;
        }

        mayPredate = false;
        var aged = AsAged(jobs);
        ForgetAgedIfNothingPredates();
        return aged;
    }

    private ReadyJob[] AsAged(IReadOnlyList<ReadyJob> jobs) =>
        [.. jobs.Select(j => _agedElsewhere is { } aged && aged.TryGetValue(j.Id, out var high) ? high : j)];

    private void ForgetAgedIfNothingPredates()
    {
        if (!_pageMayPredateAging && !_promotionMayPredateAging)
        {
            _agedElsewhere = null;
        }
    }
}
