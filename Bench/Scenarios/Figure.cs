namespace OrleansJobs.Bench.Scenarios;

/// <summary>One row of the report: what one system measured in one scenario.</summary>
/// <param name="Scenario">The scenario (one table of the report).</param>
/// <param name="System">The system under test.</param>
/// <param name="Setup">Its deployment in this row.</param>
/// <param name="Jobs">Jobs the row is about.</param>
/// <param name="Values">Named figures in report order; null where the figure does not apply.</param>
/// <param name="Note">What a reader must know to read the row (a smaller N, a skipped load).</param>
internal sealed record Figure(string Scenario, string System, string Setup, long Jobs, IReadOnlyList<KeyValuePair<string, double?>> Values, string? Note = null)
{
    public double? this[string name] => Values.FirstOrDefault(v => v.Key == name).Value;
}

/// <summary>A scenario's measurement, finished once the system has stopped and handed over its handler starts.</summary>
internal delegate Figure PendingFigure(Systems.StartLog starts);

/// <summary>Percentiles of a sample, nearest-rank.</summary>
internal static class Percentile
{
    public static double? Of(double[] sample, double p)
    {
        if (sample.Length == 0)
        {
            return null;
        }

        var sorted = sample.Order().ToArray();
        return sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];
    }
}
