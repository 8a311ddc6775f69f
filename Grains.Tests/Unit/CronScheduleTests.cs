namespace OrleansJobs.Tests.Unit;

public sealed class CronScheduleTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.Parse("2026-03-01T12:00:00Z");

    [Fact]
    public void Five_fields_are_minutes_and_six_include_seconds()
    {
        Assert.Equal(DateTimeOffset.Parse("2026-03-01T12:15:00Z"), CronSchedule.Parse("*/15 * * * *", null, Now).NextAfter(Now));
        Assert.Equal(DateTimeOffset.Parse("2026-03-01T12:00:10Z"), CronSchedule.Parse("*/10 * * * * *", "UTC", Now).NextAfter(Now));
    }

    [Fact]
    public void Occurrences_follow_the_time_zone_and_its_daylight_saving_changes()
    {
        // 09:00 in Paris is 08:00 UTC in winter and 07:00 UTC in summer (clocks went forward on 29 March 2026).
        var daily = CronSchedule.Parse("0 9 * * *", "Europe/Paris", Now);
        Assert.Equal(DateTimeOffset.Parse("2026-03-28T08:00:00Z"), daily.NextAfter(DateTimeOffset.Parse("2026-03-27T09:00:00Z")));
        Assert.Equal(DateTimeOffset.Parse("2026-03-29T07:00:00Z"), daily.NextAfter(DateTimeOffset.Parse("2026-03-28T09:00:00Z")));

        // 02:30 does not exist on the spring-forward day: it runs once, right after the jump (03:00 local, 01:00 UTC).
        var skipped = CronSchedule.Parse("30 2 * * *", "Europe/Paris", Now);
        Assert.Equal(DateTimeOffset.Parse("2026-03-29T01:00:00Z"), skipped.NextAfter(DateTimeOffset.Parse("2026-03-28T12:00:00Z")));

        // 02:30 happens twice on the fall-back day (25 October 2026): it runs once.
        var repeated = CronSchedule.Parse("30 2 * * *", "Europe/Paris", Now);
        var first = repeated.NextAfter(DateTimeOffset.Parse("2026-10-24T12:00:00Z"))!.Value;
        Assert.Equal(DateTimeOffset.Parse("2026-10-25T00:30:00Z"), first);
        Assert.Equal(DateTimeOffset.Parse("2026-10-26T01:30:00Z"), repeated.NextAfter(first));
    }

    [Theory]
    [InlineData("", "cron", "invalid_cron")]
    [InlineData("61 * * * *", "cron", "invalid_cron")]
    [InlineData("* * * *", "cron", "invalid_cron")]
    [InlineData("0 0 30 2 *", "cron", "never_fires")]
    public void Bad_expressions_are_refused_naming_the_field(string cron, string field, string code)
    {
        var error = Assert.Throws<JobValidationException>(() => CronSchedule.Parse(cron, "UTC", Now));
        Assert.Equal((field, code), (error.Field, error.Code));
    }

    [Fact]
    public void An_unknown_time_zone_is_refused()
    {
        var error = Assert.Throws<JobValidationException>(() => CronSchedule.Parse("0 * * * *", "Mars/Olympus_Mons", Now));
        Assert.Equal(("timeZone", "invalid_time_zone"), (error.Field, error.Code));
    }

    [Fact]
    public void The_latest_occurrence_in_a_range_is_found_without_walking_all_of_them()
    {
        var everySecond = CronSchedule.Parse("* * * * * *", "UTC", Now);
        var weekAgo = Now.AddDays(-7);
        Assert.Equal(Now, everySecond.LatestBetween(weekAgo, Now));

        var yearly = CronSchedule.Parse("0 0 1 1 *", "UTC", Now);
        Assert.Equal(DateTimeOffset.Parse("2026-01-01T00:00:00Z"), yearly.LatestBetween(DateTimeOffset.Parse("2020-06-01T00:00:00Z"), Now));
        Assert.Null(yearly.LatestBetween(DateTimeOffset.Parse("2026-01-02T00:00:00Z"), Now));
    }
}
