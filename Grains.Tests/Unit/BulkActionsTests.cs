using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using OrleansJobs.Http.Pages;
using OrleansJobs.Tests.Cluster;

namespace OrleansJobs.Tests.Unit;

/// <summary>The bulk actions' runner: chunks until one falls short, stops between chunks, keeps a failure's reason, and bounds the filter at its start.</summary>
public sealed class BulkActionsTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.Parse("2026-12-06T12:00:00Z");
    private readonly FakeTimeProvider _time = new(Now);
    private readonly Lifetime _lifetime = new();
    private readonly JobProbe _probe = new();

    private BulkActions Actions() => new(_lifetime, _time, NullLogger<BulkActions>.Instance);

    [Fact]
    public async Task Chunks_are_taken_until_one_falls_short_and_the_filter_ends_when_the_action_started()
    {
        var taken = new Queue<int>([BulkActions.Chunk, BulkActions.Chunk, 300]);
        var filters = new List<DeadLetterFilter>();
        var action = Actions().Start("t", "replay", new DeadLetterFilter { JobType = "mail", To = Now.AddDays(1) }, 2_300, "key-1", (filter, size, _) =>
        {
            Assert.Equal(BulkActions.Chunk, size);
            filters.Add(filter);
            return Task.FromResult(taken.Dequeue());
        });

        await _probe.WaitForAsync(() => action.State != BulkActionState.Running, "the action to end");

        Assert.Equal((BulkActionState.Done, 2_300), (action.State, action.Done));
        Assert.All(filters, f => Assert.Equal(("mail", Now), (f.JobType, f.To)));
        Assert.Equal(Now, action.EndedAt);
    }

    [Fact]
    public async Task A_stop_ends_the_action_after_the_chunk_under_way()
    {
        var gate = new TaskCompletionSource();
        var steps = 0;
        var action = Actions().Start("t", "delete", new DeadLetterFilter(), 5_000, "key-1", async (_, size, _) =>
        {
            steps++;
            await gate.Task;
            return size;
        });
        await _probe.WaitForAsync(() => steps == 1, "the first chunk to start");

        action.Stop();
        gate.SetResult();
        await _probe.WaitForAsync(() => action.State != BulkActionState.Running, "the action to end");

        Assert.Equal((BulkActionState.Stopped, BulkActions.Chunk, 1), (action.State, action.Done, steps));
    }

    [Fact]
    public async Task A_failed_chunk_ends_the_action_with_its_reason_and_what_was_done_stays_counted()
    {
        var steps = 0;
        var action = Actions().Start("t", "replay", new DeadLetterFilter(), 5_000, "key-1", (_, size, _) =>
            ++steps == 1 ? Task.FromResult(size) : throw new JobStoreUnavailableException("the store is down"));

        await _probe.WaitForAsync(() => action.State != BulkActionState.Running, "the action to end");

        Assert.Equal((BulkActionState.Failed, BulkActions.Chunk), (action.State, action.Done));
        Assert.Contains("the store is down", action.Error);
    }

    private sealed class Lifetime : IHostApplicationLifetime
    {
        public CancellationToken ApplicationStarted => CancellationToken.None;

        public CancellationToken ApplicationStopping => CancellationToken.None;

        public CancellationToken ApplicationStopped => CancellationToken.None;

        public void StopApplication()
        {
        }
    }
}
