using OrleansJobs.Storage;

namespace OrleansJobs.Tests.Storage;

/// <summary>The group commit: every kind of write of a flush, answered index for index, all or nothing.</summary>
public abstract partial class JobStoreContractTests
{
    [Fact]
    public async Task One_flush_carries_every_kind_of_write_and_answers_each_in_order()
    {
        var other = Queue("other.type");
        var dueHere = NewJob(runAt: T0.AddSeconds(5));
        var dueThere = NewJob(other, runAt: T0.AddSeconds(5));
        var expired = NewJob();
        var low = NewJob(priority: JobPriority.Low);
        var waiting = NewJob();
        var toLease = NewJob();
        var running = NewJob();
        await InsertAsync(dueHere, dueThere, expired, low, waiting, toLease, running);
        await LeaseAsync(expired.Id, T0.AddMinutes(-10));
        var lease = (await LeaseAsync(running.Id))!;
        var fresh = NewJob();

        var batch = new JobWriteBatch();
        batch.Inserts.Add(fresh);
        batch.Leases.Add(new LeaseRequest(toLease.Id, "silo-a", T0, Margin));
        batch.Completions.Add(new Completion(running.Id, lease.Lease, T0.AddSeconds(1)));
        batch.Promotions.Add(new DuePromotionRequest(Queue(), T0.AddSeconds(10), 10));
        batch.Promotions.Add(new DuePromotionRequest(other, T0.AddSeconds(1), 10));
        batch.Promotions.Add(new DuePromotionRequest(other, T0.AddSeconds(10), 10));
        batch.Requeues.Add(new RequeueExpired(Queue(), T0, []));
        batch.Sheds.Add(new ShedRequest(Queue(), JobPriority.Normal, 1, "queue full", T0));
        batch.Cancels.Add(new WaitingCancel(_tenant, waiting.Id, T0));
        batch.Cancels.Add(new WaitingCancel("someone-else", toLease.Id, T0));
        batch.Cancels.Add(new WaitingCancel(_tenant, waiting.Id, T0));
        var result = await Store.WriteAsync(batch, default);

        Assert.Equal([new InsertOutcome(fresh.Id, Created: true)], result.Inserts);
        Assert.Equal(toLease.Id, Assert.Single(result.Leases)!.Id);
        Assert.Equal([true], result.Completions);
        Assert.Equal([dueHere.Id], result.Promotions[0].Promoted.Select(j => j.Id));
        Assert.Null(result.Promotions[0].NextDue);
        Assert.Empty(result.Promotions[1].Promoted);
        Assert.Equal(T0.AddSeconds(5), result.Promotions[1].NextDue);
        Assert.Equal([dueThere.Id], result.Promotions[2].Promoted.Select(j => j.Id));
        Assert.Equal([1], result.Requeues);
        Assert.Equal([low.Id], Assert.Single(result.Sheds));
        Assert.Equal([true, false, false], result.Cancels);

        Assert.Equal(JobState.Cancelled, (await Store.GetJobAsync(_tenant, waiting.Id, default))!.State);
        Assert.Equal(JobState.Active, (await Store.GetJobAsync(_tenant, toLease.Id, default))!.State);
        Assert.Equal(JobState.Succeeded, (await Store.GetJobAsync(_tenant, running.Id, default))!.State);
        Assert.Equal(
            new[] { dueHere.Id, expired.Id, fresh.Id }.Order(),
            (await Store.ReadReadyAsync(Queue(), null, 10, default)).Select(j => j.Id).Order());
    }

    [Fact]
    public async Task A_flush_that_fails_writes_nothing()
    {
        var due = NewJob(runAt: T0.AddSeconds(5));
        var waiting = NewJob();
        await InsertAsync(due, waiting);

        // A row the schema refuses (no payload) fails the flush after the promotion and the cancel ran in it.
        var again = NewJob();
        var batch = new JobWriteBatch();
        batch.Promotions.Add(new DuePromotionRequest(Queue(), T0.AddSeconds(10), 10));
        batch.Cancels.Add(new WaitingCancel(_tenant, waiting.Id, T0));
        batch.Inserts.AddRange([again, NewJob() with { Payload = null! }]);
        await Assert.ThrowsAnyAsync<Exception>(() => Store.WriteAsync(batch, default));

        Assert.Equal(JobState.Scheduled, (await Store.GetJobAsync(_tenant, due.Id, default))!.State);
        Assert.Equal(JobState.Enqueued, (await Store.GetJobAsync(_tenant, waiting.Id, default))!.State);
        Assert.Null(await Store.GetJobAsync(_tenant, again.Id, default));
    }
}
