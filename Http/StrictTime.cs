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

    /// <summary>An ISO 8601 time with <c>Z</c> or <c>±hh:mm</c>; false for anything else, a time without an offset included.</summary>
    public static bool TryParse(string? text, out DateTimeOffset value)
    {
        value = default;
        return text is not null && Offset().IsMatch(text)
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out value);
    }

    [GeneratedRegex(@"T.*(Z|[+-]\d{2}:?\d{2})$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Offset();
}

/// <summary>A time in a body that carries no UTC offset.</summary>
internal sealed class MissingOffsetException(string text)
    : JsonException($"'{text}' has no UTC offset; send one, e.g. {StrictTime.Example}.");

/// <summary>Reads <see cref="DateTimeOffset"/> only with an explicit offset (<see cref="StrictTime"/>); writes ISO 8601.</summary>
internal sealed class StrictDateTimeOffsetConverter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.TokenType == JsonTokenType.String ? reader.GetString() : throw new JsonException("a time must be a string.");
        if (StrictTime.TryParse(text, out var value))
        {
            return value;
        }

        throw DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out _)
            ? new MissingOffsetException(text!)
            : new JsonException($"'{text}' is not an ISO 8601 time such as {StrictTime.Example}.");
    }

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.ToString("O", CultureInfo.InvariantCulture));
}
