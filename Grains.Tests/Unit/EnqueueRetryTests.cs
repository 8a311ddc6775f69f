using Microsoft.Extensions.Time.Testing;
using Orleans.Runtime;

namespace OrleansJobs.Tests.Unit;

public sealed class EnqueueRetryTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.Parse("2026-01-01T00:00:00Z");
    private static readonly JobId[] Ids = [JobId.MinAt(T0)];
    private readonly FakeTimeProvider _clock = new(T0);
    private readonly List<TimeSpan> _waits = [];

    /// <summary>A retry whose waits pass at once on the fake clock, and are noted.</summary>
    private EnqueueRetry Retry(TimeSpan? retryFor = null) =>
        new(new JobClientOptions { EnqueueRetryFor = retryFor ?? TimeSpan.FromSeconds(10) }, _clock, (pause, cancel) =>
        {
            cancel.ThrowIfCancellationRequested();
            _waits.Add(pause);
            _clock.Advance(pause);
            return Task.CompletedTask;
        });

    /// <summary>A send that fails with the given errors in turn, then answers its call count.</summary>
    private sealed class FlakySend(params Exception[] errors)
    {
        public int Calls { get; private set; }

        public Task<int> SendAsync() => ++Calls <= errors.Length ? Task.FromException<int>(errors[Calls - 1]) : Task.FromResult(Calls);
    }

    [Fact]
    public async Task Transient_failures_are_sent_again_until_an_answer()
    {
        var send = new FlakySend(new TimeoutException(), new SiloUnavailableException(), new GatewayTooBusyException());

        Assert.Equal(4, await Retry().RunAsync(send.SendAsync, Ids, default));
        Assert.Equal(4, send.Calls);
    }

    [Fact]
    public async Task Tries_back_off_with_jitter_between_half_and_all_of_a_delay_that_doubles_up_to_two_seconds()
    {
        var send = new FlakySend([.. Enumerable.Range(0, 7).Select(_ => new TimeoutException())]);

        Assert.Equal(8, await Retry().RunAsync(send.SendAsync, Ids, default));

        double[] delays = [100, 200, 400, 800, 1600, 2000, 2000];
        Assert.Equal(delays.Length, _waits.Count);
        for (var i = 0; i < delays.Length; i++)
        {
            Assert.InRange(_waits[i].TotalMilliseconds, delays[i] / 2, delays[i]);
        }
    }

    [Fact]
    public async Task An_error_that_is_not_transient_is_thrown_at_once()
    {
        var send = new FlakySend(new JobValidationException("payload", "invalid_json", "not JSON"));

        await Assert.ThrowsAsync<JobValidationException>(() => Retry().RunAsync(send.SendAsync, Ids, default));
        Assert.Equal(1, send.Calls);
    }

    [Fact]
    public async Task When_the_time_is_up_the_error_names_the_ids_and_the_last_failure()
    {
        var send = new FlakySend([.. Enumerable.Range(0, 100).Select(_ => new TimeoutException("no answer"))]);

        var error = await Assert.ThrowsAsync<EnqueueOutcomeUnknownException>(() => Retry(TimeSpan.FromSeconds(3)).RunAsync(send.SendAsync, Ids, default));

        Assert.Equal(Ids, error.JobIds);
        Assert.Equal("no answer", error.InnerException!.Message);
        Assert.Equal(_waits.Count + 1, send.Calls);
        Assert.InRange(_clock.GetUtcNow() - T0, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3));
    }

    [Fact]
    public async Task With_retries_off_the_first_failure_is_thrown_as_it_was()
    {
        var send = new FlakySend(new SiloUnavailableException());

        await Assert.ThrowsAsync<SiloUnavailableException>(() => Retry(TimeSpan.Zero).RunAsync(send.SendAsync, Ids, default));
        Assert.Equal(1, send.Calls);
    }

    [Fact]
    public async Task A_cancelled_call_is_not_sent_again()
    {
        using var cancel = new CancellationTokenSource();
        var send = new FlakySend(new TimeoutException(), new TimeoutException());
        cancel.Cancel();

        await Assert.ThrowsAsync<TimeoutException>(() => Retry().RunAsync(send.SendAsync, Ids, cancel.Token));
        Assert.Equal(1, send.Calls);
        Assert.Empty(_waits);
    }
}
