using System.Diagnostics.Metrics;
using System.Text;

namespace OrleansJobs.Http.Metrics;

/// <summary>
/// The Prometheus name of an instrument, as OpenTelemetry's Prometheus exporter makes it: invalid
/// characters become <c>_</c>, the unit is appended as a word (<c>s</c> → <c>_seconds</c>), annotations
/// such as <c>{job}</c> add nothing, and a counter ends in <c>_total</c>. The grid's <c>/metrics</c>
/// uses it so both exporters give the same series.
/// </summary>
internal static class PrometheusNames
{
    public static string Of(Instrument instrument) => Of(instrument.Name, instrument.Unit, IsCounter(instrument));

    public static string Of(string name, string? unit, bool counter)
    {
        var result = Sanitize(name);
        if (UnitWord(unit) is { } word && !result.EndsWith("_" + word, StringComparison.Ordinal))
        {
            result += "_" + word;
        }

        if (counter && !result.EndsWith("_total", StringComparison.Ordinal))
        {
            result += "_total";
        }

        return result;
    }

    public static bool IsCounter(Instrument instrument) =>
        instrument.GetType().IsGenericType && instrument.GetType().GetGenericTypeDefinition() is var definition
        && (definition == typeof(Counter<>) || definition == typeof(ObservableCounter<>));

    private static string? UnitWord(string? unit) => unit switch
    {
        null or "" => null,
        _ when unit.StartsWith('{') => null,
        "s" => "seconds",
        "ms" => "milliseconds",
        "By" => "bytes",
        "1" => "ratio",
        _ => Sanitize(unit),
    };

    private static string Sanitize(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            var valid = char.IsAsciiLetterOrDigit(c) || c is '_' or ':';
            var next = valid ? c : '_';
            if (next != '_' || builder.Length == 0 || builder[^1] != '_')
            {
                builder.Append(next);
            }
        }

        return builder.ToString();
    }
}
