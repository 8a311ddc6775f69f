using System.Globalization;

namespace OrleansJobs.Http.Pages;

/// <summary>Reads a dead-letter filter from a page's fields, naming the field that is not valid.</summary>
internal static class DeadLetterFilters
{
    public static DeadLetterFilter Parse(string? jobType, string? error, string? from, string? to)
    {
        var type = Blank(jobType);
        if (type is not null)
        {
            JobValidator.ValidateName(type, "jobType");
        }

        return new DeadLetterFilter { JobType = type, ErrorContains = Blank(error), From = Time(from, "from"), To = Time(to, "to") };
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    /// <summary>A datetime-local field's value, taken as UTC.</summary>
    private static DateTimeOffset? Time(string? value, string field) =>
        Blank(value) is not { } text ? null
        : DateTime.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var time)
            ? new DateTimeOffset(time, TimeSpan.Zero)
            : throw new JobValidationException(field, "invalid_time", "is not a time (yyyy-MM-ddTHH:mm:ss, UTC).");
}
