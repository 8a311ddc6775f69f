using OrleansJobs.Storage;

namespace OrleansJobs.Queues.Core;

/// <summary>
/// Priority aging: on each housekeeping tick, due jobs below high priority that have waited the
/// policy's time move up to high in the store, and the window takes them at their new place.
/// </summary>
internal sealed partial class QueueCore
{
    private bool _aging;

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
            else if (Attempts.Holds(job.Id))
            {
                if (_offeredWhileHeld.ContainsKey(job.Id))
                {
                    _offeredWhileHeld[job.Id] = job;
                }
            }
            else
            {
                outside = true;
            }
        }

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
}
