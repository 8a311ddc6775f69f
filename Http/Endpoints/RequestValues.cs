using System.Globalization;

namespace OrleansJobs.Http.Endpoints;

/// <summary>
/// Reads the path and query values the framework would otherwise bind itself. A value the framework
/// cannot bind fails with a bare 400 before any filter runs; read here, it is refused as problem
/// details naming the parameter and a stable code, like every other refusal.
/// </summary>
internal static class RequestValues
{
    /// <summary>A whole-number query value, or <paramref name="fallback"/> when it is absent.</summary>
    public static int Int(string? text, string name, int fallback) =>
        text is null ? fallback
        : int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) ? value
        : throw new JobValidationException(name, "invalid_value", $"must be a whole number from {int.MinValue} to {int.MaxValue} (was '{Shown(text)}').");

    /// <summary>A job id from the path: the form enqueue answered with.</summary>
    public static JobId Id(string text, string name = "id") =>
        JobId.TryParse(text, out var id) ? id : throw new JobValidationException(name, "invalid", $"must be a job id, a UUID version 7 as enqueue answered it (was '{Shown(text)}').");

    /// <summary>The value as it can be shown back: control characters escaped, at most 64 characters.</summary>
    private static string Shown(string text)
    {
        var shown = string.Concat(text.Take(64).Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()));
        return text.Length > 64 ? shown + "…" : shown;
    }
}
