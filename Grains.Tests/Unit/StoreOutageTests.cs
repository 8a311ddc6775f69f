using Microsoft.Data.Sqlite;
using Npgsql;
using OrleansJobs.Diagnostics;

namespace OrleansJobs.Tests.Unit;

public sealed class StoreOutageTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 5, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void An_outage_is_news_when_it_begins_and_once_per_interval_while_it_lasts_then_ends_with_its_length()
    {
        var outage = new StoreOutage(TimeSpan.FromSeconds(30));
        Assert.Equal(OutageNews.Began, outage.Fail(T0));
        for (var i = 1; i <= 1000; i++)
        {
            Assert.Equal(OutageNews.None, outage.Fail(T0.AddMilliseconds(i)));
        }

        Assert.Equal(OutageNews.None, outage.Tick(T0.AddSeconds(29)));
        Assert.Equal(OutageNews.StillDown, outage.Fail(T0.AddSeconds(30)));
        Assert.Equal(1001, outage.FailedSinceSummary);
        outage.Summarized(T0.AddSeconds(30));
        Assert.Equal(OutageNews.None, outage.Fail(T0.AddSeconds(31)));
        Assert.Equal(OutageNews.StillDown, outage.Tick(T0.AddSeconds(60)));
        Assert.Equal(1003, outage.Failed);

        Assert.Equal(TimeSpan.FromSeconds(61), outage.Recover(T0.AddSeconds(61)));
        Assert.False(outage.IsDown);
        Assert.Null(outage.Recover(T0.AddSeconds(62)));
        Assert.Equal(OutageNews.Began, outage.Fail(T0.AddSeconds(70)));
        Assert.Equal(1, outage.Failed);
    }

    private sealed class TransientDbException : System.Data.Common.DbException
    {
        public override bool IsTransient => true;
    }

    [Fact]
    public void Unreachable_stores_are_outages_and_wrong_statements_are_not()
    {
        Assert.True(StoreOutage.IsUnavailability(new NpgsqlException("connection refused", new System.Net.Sockets.SocketException())));
        Assert.True(StoreOutage.IsUnavailability(new TimeoutException()));
        Assert.True(StoreOutage.IsUnavailability(new JobStoreUnavailableException("down")));
        Assert.True(StoreOutage.IsUnavailability(new TransientDbException()));
        Assert.False(StoreOutage.IsUnavailability(new SqliteException("no such table: jobs", 1)));
        Assert.False(StoreOutage.IsUnavailability(new InvalidOperationException("a bug")));
        Assert.False(StoreOutage.IsUnavailability(new OperationCanceledException()));
    }
}
