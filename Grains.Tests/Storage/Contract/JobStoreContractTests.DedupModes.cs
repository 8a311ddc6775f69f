using System.Text;
using OrleansJobs.Storage;

namespace OrleansJobs.Tests.Storage;

/// <summary>Throttle and debounce: how a key folds enqueues besides holding its job for a retention.</summary>
public abstract partial class JobStoreContractTests
{
    private NewJob Throttled(string key, int atSeconds) =>
        NewJob(key: key) with { CreatedAt = T0.AddSeconds(atSeconds), RunAt = T0.AddSeconds(atSeconds), IdempotencyRetention = TimeSpan.FromSeconds(60), KeyMode = DedupMode.Throttle };

    private NewJob Debounced(string key, int atSeconds, string payload) =>
        NewJob(key: key, payload: payload) with
        {
            CreatedAt = T0.AddSeconds(atSeconds),
            RunAt = T0.AddSeconds(atSeconds + 30),
            IdempotencyRetention = TimeSpan.FromSeconds(30),
            KeyMode = DedupMode.Debounce,
        };

    [Fact]
    public async Task A_throttle_key_answers_with_its_first_job_for_its_window_whatever_became_of_it_then_makes_a_new_one()
    {
        var first = Throttled("sync", 0);
        Assert.True((await InsertAsync(first))[0].Created);
        var leased = (await LeaseAsync(first.Id))!;
        Assert.True(await CompleteAsync(first.Id, leased.Lease, T0.AddSeconds(1)));

        // Ended, but the window from its enqueue still runs: the first wins.
        Assert.Equal(new InsertOutcome(first.Id, false), (await InsertAsync(Throttled("sync", 30)))[0]);

        var second = Throttled("sync", 61);
        Assert.True((await InsertAsync(second))[0].Created);

        // The window passes while the second still waits: a third is made all the same.
        var third = Throttled("sync", 122);
        Assert.True((await InsertAsync(third))[0].Created);
        Assert.Equal(JobState.Enqueued, (await Store.GetJobAsync(_tenant, second.Id, default))!.State);
    }

    [Fact]
    public async Task A_debounce_key_gives_its_waiting_job_the_last_payload_and_a_later_run_then_a_new_job_once_it_is_due()
    {
        var first = Debounced("report", 0, "{\"v\":1}");
        Assert.True((await InsertAsync(first))[0].Created);

        var again = Debounced("report", 10, "{\"v\":2}");
        Assert.Equal(new InsertOutcome(first.Id, false), (await InsertAsync(again))[0]);
        Assert.Equal(T0.AddSeconds(40), (await Store.GetJobAsync(_tenant, first.Id, default))!.RunAt);

        // Not due at its first run-at any more; due at the later one, with the last payload.
        Assert.Empty((await PromoteDueAsync(Queue(), T0.AddSeconds(35), 10)).Promoted);
        Assert.Equal([first.Id], (await PromoteDueAsync(Queue(), T0.AddSeconds(40), 10)).Promoted.Select(j => j.Id));
        Assert.Equal("{\"v\":2}", Encoding.UTF8.GetString((await LeaseAsync(first.Id, T0.AddSeconds(40)))!.Payload));

        var later = Debounced("report", 41, "{\"v\":3}");
        Assert.Equal(new InsertOutcome(later.Id, true), (await InsertAsync(later))[0]);
    }

    [Fact]
    public async Task Debounced_submissions_in_one_batch_make_one_job_with_the_last_payload()
    {
        var batch = new[] { Debounced("digest", 0, "{\"v\":1}"), Debounced("digest", 0, "{\"v\":2}"), Debounced("digest", 0, "{\"v\":3}") };
        var outcomes = await InsertAsync(batch);

        var job = Assert.Single(outcomes.Select(o => o.Id).Distinct());
        Assert.Single(outcomes, o => o.Created);
        Assert.Equal([job], (await PromoteDueAsync(Queue(), T0.AddSeconds(30), 10)).Promoted.Select(j => j.Id));
        Assert.Equal("{\"v\":3}", Encoding.UTF8.GetString((await LeaseAsync(job, T0.AddSeconds(30)))!.Payload));
    }

    [Fact]
    public async Task The_key_sweep_drops_throttle_keys_at_their_window_and_debounce_keys_once_their_job_is_due()
    {
        var throttled = Throttled("t", 0);
        var debounced = Debounced("d", 0, "{}");
        await InsertAsync(throttled, debounced);
        await PromoteDueAsync(Queue(), T0.AddSeconds(30), 10);

        Assert.True(await Store.ExpireKeysAsync(T0.AddSeconds(61), TimeSpan.FromHours(1), 1_000, default) >= 2);

        var again = await InsertAsync(Throttled("t", 62), Debounced("d", 62, "{}"));
        Assert.Equal([true, true], again.Select(o => o.Created));
    }
}
