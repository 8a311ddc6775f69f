using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using OrleansJobs.Diagnostics;
using OrleansJobs.Http.Pages;
using OrleansJobs.Storage;

namespace OrleansJobs.Tests.Unit;

/// <summary>The overview's arithmetic: minutes into rates, levels into the queues behind, and the charts' scale; and the tally and rows the history is written from.</summary>
public sealed class OverviewTests
{
    private static readonly DateTimeOffset Minute0 = DateTimeOffset.Parse("2026-12-06T10:00:00Z");
    private static readonly QueueKey Mail = new("acme", "mail");
    private static readonly QueueKey Pdf = new("acme", "pdf");

    private static TimeSpan Objective(string jobType) => jobType == "pdf" ? TimeSpan.FromMinutes(10) : TimeSpan.FromMinutes(1);

    [Fact]
    public void Counts_become_rates_per_second_with_the_current_minute_over_its_seconds_so_far_and_gaps_as_zero()
    {
        var now = Minute0.AddMinutes(2).AddSeconds(30);
        var history = new QueueHistory(
            [new MinuteTotals(Minute0, 120, 60, 6, 3, 40), new MinuteTotals(Minute0.AddMinutes(2), 15, 30, 0, 0, 5), new MinuteTotals(Minute0.AddMinutes(-10), 999, 0, 0, 0, 0)],
            [],
            [new QueueLevel(Mail, Minute0.AddMinutes(2), 5, null)]);

        var overview = Overview.Build(history, Objective, now, minutes: 3);

        Assert.Equal([Minute0, Minute0.AddMinutes(1), Minute0.AddMinutes(2)], overview.Rates.Minutes);
        Assert.Equal([2.0, 0, 0.5], Line(overview.Rates, "enqueued"));
        Assert.Equal([1.0, 0, 1.0], Line(overview.Rates, "succeeded"));
        Assert.Equal([0.1, 0, 0], Line(overview.Rates, "failed"));
        Assert.Equal([0.05, 0, 0], Line(overview.Rates, "dead"));
        Assert.Equal([40.0, 0, 5], Line(overview.Backlog, "backlog"));
        // The minute before the window is left out of the sums.
        Assert.Equal(new OverviewTotals(135, 90, 6, 3, 5), overview.Totals);
    }

    [Fact]
    public void Queues_past_their_own_objective_come_first_furthest_past_it_and_the_others_are_left_out()
    {
        var history = new QueueHistory([], [],
        [
            new QueueLevel(Pdf, Minute0, 50, TimeSpan.FromMinutes(15)),          // 1.5 x its 10 min
            new QueueLevel(Mail, Minute0, 7, TimeSpan.FromMinutes(3)),           // 3 x its 1 min
            new QueueLevel(new("other", "mail"), Minute0, 1, TimeSpan.FromSeconds(59)), // within
            new QueueLevel(new("idle", "mail"), Minute0, 0, null),
        ]);

        var overview = Overview.Build(history, Objective, Minute0, minutes: 60);

        Assert.Equal(
            [new QueueBehind("acme", "mail", 7, TimeSpan.FromMinutes(3), TimeSpan.FromMinutes(1)), new QueueBehind("acme", "pdf", 50, TimeSpan.FromMinutes(15), TimeSpan.FromMinutes(10))],
            overview.Behind);
        Assert.Equal(4, overview.QueuesSampled);
        Assert.Equal(58, overview.Totals.BacklogNow);
    }

    [Fact]
    public void Failing_queues_keep_the_stores_order_leave_out_clean_ones_and_stop_at_ten()
    {
        var queues = Enumerable.Range(0, 15).Select(i => new QueueActivity(new("t", $"q{i:00}"), 0, 1, 15 - i, i < 3 ? 3 - i : 0))
            .Append(new QueueActivity(new("t", "clean"), 5, 5, 0, 0)).ToList();

        var overview = Overview.Build(new QueueHistory([], queues, []), Objective, Minute0, minutes: 60);

        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"q{i:00}"), overview.Failing.Select(q => q.JobType));
        Assert.Equal(new QueueFailing("t", "q00", 1, 15, 3), overview.Failing[0]);
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(0.3, 0.5)]
    [InlineData(1, 1)]
    [InlineData(1.01, 2)]
    [InlineData(7, 10)]
    [InlineData(10, 10)]
    [InlineData(4_321, 5_000)]
    [InlineData(double.NaN, 1)]
    public void The_charts_top_is_the_next_round_value(double max, double top) =>
        Assert.Equal(top, ChartScale.RoundTop(max), 9);

    [Fact]
    public void Points_span_the_plot_from_left_to_right_and_from_bottom_up()
    {
        var chart = new Chart("c", "u", [Minute0, Minute0.AddMinutes(1), Minute0.AddMinutes(2)], [new ChartLine("l", "s", [0, 5, 10])]);
        var scale = new ChartScale(chart);

        Assert.Equal(10, scale.Max);
        Assert.Equal(ChartScale.Left, scale.X(0));
        Assert.Equal(ChartScale.Width - ChartScale.Right, scale.X(2));
        Assert.Equal(ChartScale.Height - ChartScale.Bottom, scale.Y(0));
        Assert.Equal(ChartScale.Top, scale.Y(10));
        Assert.Equal("56,176 384,92 712,8", scale.Points(chart.Lines[0]));
    }

    [Fact]
    public void The_tally_hands_its_counts_over_once_and_takes_back_what_could_not_be_written()
    {
        var tally = new QueueTally();
        tally.Enqueued(Mail, 3);
        tally.Succeeded(Mail);
        tally.Failed(Pdf);
        tally.DeadLettered(Pdf);

        var taken = tally.Take();
        Assert.Equal(new TallyCounts(3, 1, 0, 0), taken[Mail]);
        Assert.Equal(new TallyCounts(0, 0, 1, 1), taken[Pdf]);
        Assert.Empty(tally.Take());

        tally.Succeeded(Mail);
        tally.Restore(taken);
        Assert.Equal(new TallyCounts(3, 2, 0, 0), tally.Take()[Mail]);
    }

    [Fact]
    public void A_write_has_one_row_per_queue_counted_or_owned_in_the_minute_of_now_and_levels_only_for_owned_ones()
    {
        var counts = new Dictionary<QueueKey, TallyCounts> { [Mail] = new(2, 1, 0, 0), [Pdf] = new(0, 0, 1, 0) };
        var owned = new[] { (Pdf, new QueueLevels(4, 0, 1, 0, 12.5, 1, 1, 0)), (new QueueKey("acme", "idle"), new QueueLevels(0, 0, 0, 0, 0, 0, 1, 0)) };

        var rows = QueueHistoryRecorder.Rows(counts, owned, Minute0.AddSeconds(42)).OrderBy(r => r.Queue.JobType).ToList();

        Assert.Equal(
        [
            new QueueMinute(new("acme", "idle"), Minute0, 0, 0, 0, 0, 0, null),
            new QueueMinute(Mail, Minute0, 2, 1, 0, 0, null, null),
            new QueueMinute(Pdf, Minute0, 0, 0, 1, 0, 4, TimeSpan.FromSeconds(12.5)),
        ], rows);
    }

    [Fact]
    public async Task Counts_a_failed_history_write_could_not_store_ride_with_the_next_write_and_the_outage_log_tells_of_it()
    {
        var tally = new QueueTally();
        var store = new FlakyHistoryStore();
        var outageLogger = new FakeLogger<StoreOutageLog>();
        // The outage log's probe runs on a clock of its own that never moves here: on the system clock it could
        // find the store back a second later and add its line while a slow machine is still between the writes.
        using var outage = new StoreOutageLog(new ReachableStore(), new FakeTimeProvider(), outageLogger);
        var recorder = new QueueHistoryRecorder(tally, new QueueGauges(), store, Microsoft.Extensions.Options.Options.Create(new Hosting.OrleansJobsOptions()),
            outage, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<QueueHistoryRecorder>.Instance);
        tally.Succeeded(Mail);
        tally.Succeeded(Mail);

        store.Failing = true;
        await recorder.WriteAsync(default);
        await recorder.WriteAsync(default);
        // The silo's one voice about the store says it went, once, with the reason and no stack trace; the rest is debug.
        var line = Assert.Single(outageLogger.Collector.GetSnapshot(), r => r.Level > Microsoft.Extensions.Logging.LogLevel.Debug);
        Assert.Equal((Microsoft.Extensions.Logging.LogLevel.Error, null), (line.Level, line.Exception));
        Assert.Contains("unavailable (JobStoreUnavailableException: down), first seen by Queue history (record minutes)", line.Message);
        tally.Succeeded(Mail);
        store.Failing = false;
        await recorder.WriteAsync(default);

        var written = Assert.Single(store.Written);
        Assert.Equal((Mail, 3L), (written.Queue, written.Succeeded));
    }

    /// <summary>Answers the outage log's probe; nothing else is called.</summary>
    private sealed class ReachableStore : IMaintenanceStore
    {
        public Task PingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task InitializeAsync(CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<IReadOnlyList<QueueKey>> ListRetentionScopesAsync(JobState state, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<FinishedDeletion> DeleteFinishedAsync(QueueKey scope, JobState state, DateTimeOffset finishedBefore, JobId? after, int limit, CancellationToken cancellationToken) =>
            throw new NotSupportedException();

        public Task<int> ExpireKeysAsync(DateTimeOffset now, TimeSpan retention, int limit, CancellationToken cancellationToken) => throw new NotSupportedException();
    }

    private sealed class FlakyHistoryStore : IHistoryStore
    {
        public bool Failing { get; set; }

        public List<QueueMinute> Written { get; } = [];

        public Task RecordMinutesAsync(IReadOnlyList<QueueMinute> minutes, CancellationToken cancellationToken)
        {
            if (Failing)
            {
                throw new JobStoreUnavailableException("down");
            }

            Written.AddRange(minutes);
            return Task.CompletedTask;
        }

        public Task<QueueHistory> ReadHistoryAsync(HistoryQuery query, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<int> DeleteMinutesAsync(DateTimeOffset before, int limit, CancellationToken cancellationToken) => throw new NotSupportedException();
    }

    private static IEnumerable<double> Line(Chart chart, string style) =>
        chart.Lines.Single(l => l.Style == style).Values.Select(v => Math.Round(v, 6));
}
