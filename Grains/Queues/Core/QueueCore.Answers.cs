using OrleansJobs.Execution;
using OrleansJobs.Grains;
using OrleansJobs.Storage;

namespace OrleansJobs.Queues.Core;

/// <summary>The events that answer the core's commands: pages, leases, attempts, outcomes, promotions, permits, sweeps, timers.</summary>
internal sealed partial class QueueCore
{
    public void StaleRequeued(DateTimeOffset now, int count)
    {
        At(now);
        if (count > 0)
        {
            Backlog.Joined(count);
            Heads?.MayHaveNew();
            Window.MarkStoreHasMore();
            Read(force: true);
        }

        Pump();
    }

    public void PageRead(DateTimeOffset now, ReadPage read, IReadOnlyList<ReadyJob> page)
    {
        At(now);
        page = AnsweredSinceAging(ref _pageMayPredateAging, page);
        foreach (var job in page)
        {
            KeepUntilReleased(job);
        }

        Window.PageRead(read, page, Attempts.Holds);
        Pump();
    }

    public void PageReadFailed(DateTimeOffset now)
    {
        At(now);
        AnsweredSinceAging(ref _pageMayPredateAging, []);
        Window.PageReadFailed();
        Pump();
    }

    /// <summary>The leases committed; null where the job was no longer enqueued (cancelled, or taken by another attempt).</summary>
    public void LeasesCommitted(DateTimeOffset now, IReadOnlyList<LeaseRequest> requests, IReadOnlyList<LeasedJob?> leased)
    {
        At(now);
        Window.LeaseSettled();
        for (var i = 0; i < requests.Count; i++)
        {
            if (leased[i] is not { } job)
            {
                EndAttempt(requests[i].Id);
                continue;
            }

            Backlog.Left();
            Started(job.Id);
            if (job.Attempt > job.MaxAttempts)
            {
                // Earlier attempts started but never reported: their silo died mid-run. A job that
                // kills its silo every time must not loop forever.
                AttemptEnded(now, job, new JobRunResult(new JobAttemptsLostException(job.Attempt - 1), TimeSpan.Zero));
            }
            else
            {
                Emit(new RunAttempt(job));
            }
        }

        Pump();
    }

    /// <summary>The lease write failed: nothing was written, the jobs are still enqueued and are paged in again.</summary>
    public void LeasesFailed(DateTimeOffset now, IReadOnlyList<LeaseRequest> requests)
    {
        At(now);
        foreach (var request in requests)
        {
            EndAttempt(request.Id);
        }

        // The jobs are still enqueued, and left the window and the reads past it when they were taken.
        Heads?.MayHaveNew();
        Window.MarkStoreHasMore();
        Pump();
    }

    /// <summary>The handler ended: decide the outcome with the retry policy and have it written under the attempt's lease.</summary>
    public void AttemptEnded(DateTimeOffset now, LeasedJob job, JobRunResult result)
    {
        At(now);
        Attempts.Record(job.Id);
        var key = Gate?.KeyOf(job.Id);

        // Given back before the pump below, so queues waiting in line get it before this one takes it
        // again; keeping it for the next job here would let a flooding queue hold its room for ever.
        Room.Give(1);
        var outcome = Protect(job, result, AttemptOutcomes.Decide(job, result, now, _settings, _random));
        if (outcome is Rescheduled { QueueBackoffUntil: { } until })
        {
            // The downstream said so now: nothing more starts (of the job's key, in a queue with partitions),
            // whether or not this outcome is written.
            if (key is not null)
            {
                Gate!.BackOff(key, until);
            }
            else if (!(BackoffUntil >= until))
            {
                BackoffUntil = until;
            }
        }

        Emit(new WriteOutcome(job, outcome));
        Pump();
    }

    /// <summary>
    /// The outcome write committed, or was refused because the attempt's lease was taken from it
    /// (swept as expired, or by another owner): then the job may be enqueued again and the window may
    /// have skipped it while the attempt ran, so the next page is read from the top.
    /// </summary>
    public void OutcomeStored(DateTimeOffset now, LeasedJob job, AttemptOutcome outcome, bool stored)
    {
        At(now);
        var offered = EndAttempt(job.Id);
        var waitsUntil = outcome switch
        {
            Retrying retry => retry.Write.RunAt,
            Rescheduled rescheduled => rescheduled.Write.RunAt,
            HeldByBreaker held => held.Write.RunAt,
            _ => (DateTimeOffset?)null,
        };
        if (stored && waitsUntil is { } runAt)
        {
            Backlog.Joined(1);
            Emit(Due.Note(runAt));
        }

        // The slot came free when the handler ended; only a job the store may now hand out again is
        // worth a pump, so a steady stream of outcomes does not split lease batches.
        if (!stored)
        {
            Heads?.MayHaveNew();
            Window.MarkStoreHasMore();
        }

        if (!stored || offered)
        {
            Pump();
        }
    }

    /// <summary>The outcome could not be written in time: the lease expires and the job runs again after a sweep.</summary>
    public void OutcomeAbandoned(DateTimeOffset now, LeasedJob job)
    {
        At(now);
        if (EndAttempt(job.Id))
        {
            Pump();
        }
    }

    public void DueTimerFired(DateTimeOffset now)
    {
        At(now);
        Emit(Due.Check(now, Window.Capacity));
    }

    /// <summary>Due jobs moved to enqueued: offered straight to the window, so a due check costs no page read.</summary>
    public void DuePromoted(DateTimeOffset now, DuePromotion promotion)
    {
        At(now);
        foreach (var job in AnsweredSinceAging(ref _promotionMayPredateAging, promotion.Promoted))
        {
            Offer(job);
        }

        if (promotion.Promoted.Count > 0)
        {
            Heads?.MayHaveNew();
        }

        Emit(Due.Checked(promotion.NextDue));
        Pump();
    }

    public void PromotionFailed(DateTimeOffset now)
    {
        At(now);
        AnsweredSinceAging(ref _promotionMayPredateAging, []);
        Emit(Due.CheckFailed(now));
        Pump();
    }

    public void PumpTimerFired(DateTimeOffset now)
    {
        At(now);
        Pump();
    }

    /// <summary>The queue's turn in the silo's line came: <paramref name="units"/> of room are held for it now.</summary>
    public void RoomGranted(DateTimeOffset now, int units)
    {
        At(now);
        Room.Granted(units);
        Pump();
        Room.ReturnUnused();
    }

    public void PermitsGranted(DateTimeOffset now, PermitGrant grant)
    {
        At(now);
        if (Permits.Granted(now, grant))
        {
            Emit(Permits.Sync(now, PermitsWanted, Attempts.InBudget));
        }

        Pump();
    }

    public void PermitSyncFailed(DateTimeOffset now)
    {
        At(now);
        Permits.SyncFailed();
        Emit(new ArmPumpTimer(_settings.StoreRetryDelay));
        Pump();
    }

    /// <summary>A person paused the tenant: the grant is void now, and a fresh one is asked for.</summary>
    public void TenantPaused(DateTimeOffset now)
    {
        At(now);
        Permits.Revoke();
        if (!Draining)
        {
            Emit(Permits.Sync(now, PermitsWanted, Attempts.InBudget));
        }
    }

    /// <summary>The tenant says its permits changed: ask again.</summary>
    public void PermitsChanged(DateTimeOffset now)
    {
        At(now);
        Permits.Changed();
        if (!Draining)
        {
            Emit(Permits.Sync(now, PermitsWanted, Attempts.InBudget));
        }
    }
}
