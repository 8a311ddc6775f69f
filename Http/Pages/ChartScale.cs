using System.Globalization;

namespace OrleansJobs.Http.Pages;

/// <summary>
/// Where a chart's values land in its drawing: the y axis runs from zero to a round top (1, 2 or 5 times a
/// power of ten, at least the largest value), x spreads the minutes over the width. Pure arithmetic, so
/// the chart component only writes SVG.
/// </summary>
internal sealed class ChartScale
{
    public const double Width = 720;
    public const double Height = 200;
    public const double Left = 56;
    public const double Right = 8;
    public const double Top = 8;
    public const double Bottom = 24;

    private readonly int _points;

    public ChartScale(Chart chart)
    {
        _points = chart.Minutes.Count;
        Max = RoundTop(chart.Lines.SelectMany(l => l.Values).DefaultIfEmpty(0).Max());
    }

    /// <summary>The value at the top of the y axis.</summary>
    public double Max { get; }

    /// <summary>The y axis's labelled values, bottom to top: zero, the quarters, the top.</summary>
    public IEnumerable<double> Ticks => Enumerable.Range(0, 5).Select(i => Max * i / 4);

    public double X(int index) => Left + (_points <= 1 ? 0 : index * (Width - Left - Right) / (_points - 1));

    public double Y(double value) => Top + (Height - Top - Bottom) * (1 - Math.Clamp(value / Max, 0, 1));

    /// <summary>The line's points as an SVG <c>points</c> attribute.</summary>
    public string Points(ChartLine line) =>
        string.Join(" ", line.Values.Select((v, i) => $"{N(X(i))},{N(Y(v))}"));

    /// <summary>A coordinate written the way SVG reads it.</summary>
    public static string N(double value) => value.ToString("0.#", CultureInfo.InvariantCulture);

    /// <summary>The smallest of 1, 2, 5 × 10^k that is at least <paramref name="max"/>; 1 for nothing.</summary>
    internal static double RoundTop(double max)
    {
        if (!(max > 0) || double.IsInfinity(max))
        {
            return 1;
        }

        var power = Math.Pow(10, Math.Floor(Math.Log10(max)));
        foreach (var step in new[] { 1.0, 2, 5, 10 })
        {
            if (step * power >= max * (1 - 1e-12))
            {
                return step * power;
            }
        }

        return 10 * power;
    }
}
