using Cronos;

namespace OrleansJobs;

/// <summary>
/// A parsed cron expression in its time zone: the occurrences of a <see cref="RecurringJob"/>.
/// Five fields are minute-precision, six include seconds. Across DST changes Cronos runs an
/// occurrence that falls in a skipped hour right after the jump, and one in a repeated hour once.
/// </summary>
internal sealed class CronSchedule
{
    private static readonly TimeSpan[] SearchBack = [TimeSpan.FromMinutes(2), TimeSpan.FromHours(2), TimeSpan.FromDays(2), TimeSpan.FromDays(64), TimeSpan.FromDays(800)];

    private readonly CronExpression _expression;
    private readonly TimeZoneInfo _zone;

    private CronSchedule(CronExpression expression, TimeZoneInfo zone)
    {
        _expression = expression;
        _zone = zone;
    }

    /// <summary>Parses the expression and zone; throws <see cref="JobValidationException"/> naming the field.</summary>
    public static CronSchedule Parse(string? cron, string? timeZone, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(cron) || cron.Length > 200)
        {
            throw new JobValidationException("cron", "invalid_cron", "a cron expression of 5 or 6 fields (at most 200 characters) is required.");
        }

        var fields = cron.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        CronExpression expression;
        try
        {
            expression = CronExpression.Parse(cron, fields == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard);
        }
        catch (CronFormatException ex)
        {
            throw new JobValidationException("cron", "invalid_cron", $"'{cron}' is not a valid cron expression: {ex.Message}");
        }

        TimeZoneInfo zone;
        try
        {
            zone = TimeZoneInfo.FindSystemTimeZoneById(string.IsNullOrEmpty(timeZone) ? "UTC" : timeZone);
        }
        catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException or ArgumentException)
        {
            throw new JobValidationException("timeZone", "invalid_time_zone", $"'{timeZone}' is not a known time zone (use an IANA id such as Europe/Paris).");
        }

        var schedule = new CronSchedule(expression, zone);
        if (schedule.NextAfter(now) is null)
        {
            throw new JobValidationException("cron", "never_fires", $"'{cron}' has no occurrence after {now:O}.");
        }

        return schedule;
    }

    /// <summary>The first occurrence strictly after <paramref name="time"/>, or null when there is none.</summary>
    public DateTimeOffset? NextAfter(DateTimeOffset time) => _expression.GetNextOccurrence(time, _zone, inclusive: false);

    /// <summary>
    /// The latest occurrence at or before <paramref name="time"/> and at or after <paramref name="notBefore"/>,
    /// or null when there is none; searches back in growing steps rather than walking every occurrence.
    /// </summary>
    public DateTimeOffset? LatestBetween(DateTimeOffset notBefore, DateTimeOffset time)
    {
        foreach (var back in SearchBack)
        {
            var from = time - back < notBefore ? notBefore : time - back;
            if (_expression.GetOccurrences(from, time, _zone, fromInclusive: true, toInclusive: true).LastOrDefault() is var last && last != default)
            {
                return last;
            }

            if (from == notBefore)
            {
                return null;
            }
        }

        var all = _expression.GetOccurrences(notBefore, time, _zone, fromInclusive: true, toInclusive: true).LastOrDefault();
        return all == default ? null : all;
    }
}
