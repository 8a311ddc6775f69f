using System.Globalization;

namespace OrleansJobs.Http.Pages;

/// <summary>How the pages write times, durations and rates: short, invariant, the same on every page.</summary>
internal static class Format
{
    public static string Duration(TimeSpan? value) => value switch
    {
        null => "∞",
        { TotalSeconds: < 1 } v => $"{v.TotalMilliseconds:F0} ms",
        { TotalMinutes: < 2 } v => $"{v.TotalSeconds:F1} s",
        { TotalHours: < 2 } v => $"{v.TotalMinutes:F1} min",
        { TotalDays: < 2 } v => $"{v.TotalHours:F1} h",
        { } v => $"{v.TotalDays:F1} d",
    };

    public static string Number(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);

    /// <summary>A UTC time to the second, as ISO 8601 reads it.</summary>
    public static string Time(DateTimeOffset? value) => value is { } t ? t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) : "–";

    /// <summary>How long before <paramref name="now"/> a time was, or "never".</summary>
    public static string Ago(DateTimeOffset? value, DateTimeOffset now) => value is { } t ? $"{Duration(now > t ? now - t : TimeSpan.Zero)} ago" : "never";

    /// <summary>A state by the name <see cref="State"/> gives it, for the pages' and the API's state fields; enqueued when none is given.</summary>
    /// <exception cref="JobValidationException">The name is not one of those (field <c>state</c>).</exception>
    public static JobState ParseState(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return JobState.Enqueued;
        }

        foreach (var state in Enum.GetValues<JobState>())
        {
            if (State(state) == name)
            {
                return state;
            }
        }

        throw new JobValidationException("state", "invalid_state", "must be one of enqueued, scheduled, running, succeeded, cancelled, dead.");
    }

    /// <summary>A job state as operators say it.</summary>
    public static string State(JobState state) => state switch
    {
        JobState.Scheduled => "scheduled",
        JobState.Enqueued => "enqueued",
        JobState.Active => "running",
        JobState.Succeeded => "succeeded",
        JobState.Cancelled => "cancelled",
        JobState.Dead => "dead",
        _ => state.ToString().ToLowerInvariant(),
    };
}
