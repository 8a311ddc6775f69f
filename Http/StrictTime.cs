using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace OrleansJobs.Http;

/// <summary>
/// Times over HTTP must say which instant they mean: a time without a UTC offset (<c>2026-12-06T10:00:00</c>)
/// was read in the server's own zone, so the same request meant different instants on different silos.
/// </summary>
internal static partial class StrictTime
{
    public const string Example = "2026-12-06T10:00:00Z or 2026-12-06T11:00:00+01:00";

    /// <summary>Why a text is not a time the API takes.</summary>
    public enum Refusal
    {
        /// <summary>It is one: an ISO 8601 time with <c>Z</c> or <c>±hh:mm</c>.</summary>
        None,

        /// <summary>A time, but with no UTC offset.</summary>
        MissingOffset,

        /// <summary>Not a time at all.</summary>
        NotATime,
    }

    /// <summary>Reads an ISO 8601 time with <c>Z</c> or <c>±hh:mm</c>; anything else is refused, a time without an offset included.</summary>
    public static Refusal Read(string text, out DateTimeOffset value)
    {
        var parsed = DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out value);
        return !parsed ? Refusal.NotATime : Offset().IsMatch(text) ? Refusal.None : Refusal.MissingOffset;
    }

    /// <summary>What to tell the caller about a refused time.</summary>
    public static string Explain(string text, Refusal refusal) => refusal == Refusal.MissingOffset
        ? $"'{text}' has no UTC offset; send one, e.g. {Example}."
        : $"'{text}' is not an ISO 8601 time such as {Example}.";

    /// <summary>A time from a query string or path: null when absent, otherwise strict, refused naming <paramref name="field"/>.</summary>
    public static DateTimeOffset? ParseOptional(string? text, string field)
    {
        if (text is null)
        {
            return null;
        }

        var refusal = Read(text, out var value);
        return refusal == Refusal.None
            ? value
            : throw new JobValidationException(field, refusal == Refusal.MissingOffset ? "missing_offset" : "invalid_time", Explain(text, refusal));
    }

    [GeneratedRegex(@"T.*(Z|[+-]\d{2}:?\d{2})$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Offset();
}

/// <summary>A time in a body that carries no UTC offset.</summary>
internal sealed class MissingOffsetException(string text)
    : JsonException(StrictTime.Explain(text, StrictTime.Refusal.MissingOffset));

/// <summary>Reads <see cref="DateTimeOffset"/> only with an explicit offset (<see cref="StrictTime"/>); writes ISO 8601.</summary>
internal sealed class StrictDateTimeOffsetConverter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.TokenType == JsonTokenType.String ? reader.GetString()! : throw new JsonException("a time must be a string.");
        return StrictTime.Read(text, out var value) switch
        {
            StrictTime.Refusal.None => value,
            StrictTime.Refusal.MissingOffset => throw new MissingOffsetException(text),
            var refusal => throw new JsonException(StrictTime.Explain(text, refusal)),
        };
    }

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToString("O", CultureInfo.InvariantCulture));
}
