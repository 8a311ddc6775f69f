using OrleansJobs.Hosting;

namespace OrleansJobs.Tests.Unit;

public sealed class OrleansJobsOptionsTests
{
    [Fact]
    public void The_defaults_are_valid() => new OrleansJobsOptions().Validate();

    public static TheoryData<Action<OrleansJobsOptions>> Invalid => new()
    {
        o => o.SucceededRetention = TimeSpan.FromSeconds(-1),
        o => o.CancelledRetention = TimeSpan.FromSeconds(-1),
        o => o.DeadLetterRetention = TimeSpan.FromSeconds(-1),
        o => o.RetentionSweepInterval = TimeSpan.FromSeconds(59),
        o => o.MinDueCheckInterval = TimeSpan.FromMilliseconds(-1),
        o => o.MinDueCheckInterval = TimeSpan.FromMinutes(2),
        o => o.ParallelWriteMinRows = 0,
        o => o.MaxBulkWritesInFlight = 0,
        o => o.HistorySampleInterval = TimeSpan.FromMilliseconds(999),
        o => o.HistorySampleInterval = TimeSpan.FromSeconds(61),
        o => o.HistoryRetention = TimeSpan.FromMinutes(59),
        o => o.WaitObjective = TimeSpan.Zero,
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Retention_due_check_write_and_history_settings_out_of_range_are_refused(Action<OrleansJobsOptions> change)
    {
        var options = new OrleansJobsOptions();
        change(options);
        Assert.Throws<ArgumentException>(options.Validate);
    }

    [Fact]
    public void Retention_can_be_switched_off_and_due_checks_left_unthrottled()
    {
        new OrleansJobsOptions { SucceededRetention = null, CancelledRetention = null, MinDueCheckInterval = TimeSpan.Zero }.Validate();
    }

    [Fact]
    public void A_negative_lease_ahead_is_refused_by_name_and_none_is_allowed()
    {
        var error = Assert.Throws<ArgumentException>(new OrleansJobsOptions { LeaseAhead = -1 }.Validate);
        Assert.Contains(nameof(OrleansJobsOptions.LeaseAhead), error.Message);
        new OrleansJobsOptions { LeaseAhead = 0 }.Validate();
    }
}
