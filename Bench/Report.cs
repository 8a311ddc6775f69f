using System.Globalization;
using System.Text;
using System.Text.Json;
using OrleansJobs.Bench.Infrastructure;
using OrleansJobs.Bench.Scenarios;

namespace OrleansJobs.Bench;

/// <summary>What one run measured, where and how: printed as tables (one per scenario) and written as JSON.</summary>
internal sealed record Report(
    DateTimeOffset At,
    string Mode,
    Machine Machine,
    IReadOnlyDictionary<string, string> Postgres,
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> Systems,
    IReadOnlyList<Figure> Figures)
{
    public string Table()
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"OrleansJobs benchmark ({Mode}), {At:u}");
        text.AppendLine(CultureInfo.InvariantCulture, $"Machine: {Machine.Cores} cores ({Machine.Cpu}), {Machine.MemoryBytes / (1L << 30)} GiB, {Machine.Os}, {Machine.Runtime}");
        text.AppendLine("PostgreSQL: " + string.Join(", ", Postgres.Select(s => $"{s.Key}={s.Value}")));
        foreach (var scenario in Figures.GroupBy(f => f.Scenario))
        {
            var columns = scenario.SelectMany(f => f.Values.Select(v => v.Key)).Distinct().ToArray();
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"{scenario.Key}");
            text.Append(CultureInfo.InvariantCulture, $"  {"system",-17} {"setup",-32} {"jobs",10}");
            foreach (var column in columns)
            {
                text.Append(' ').Append(column.PadLeft(Width(column)));
            }

            text.AppendLine();
            foreach (var figure in scenario)
            {
                text.Append(CultureInfo.InvariantCulture, $"  {figure.System,-17} {figure.Setup,-32} {figure.Jobs,10:N0}");
                foreach (var column in columns)
                {
                    var value = figure[column];
                    text.Append(' ').Append((value is { } v ? Format(v) : "-").PadLeft(Width(column)));
                }

                text.AppendLine();
            }

            foreach (var figure in scenario.Where(f => f.Note is not null))
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"    {figure.System} ({figure.Setup}): {figure.Note}");
            }
        }

        text.AppendLine();
        text.AppendLine("Settings");
        foreach (var (system, settings) in Systems)
        {
            text.AppendLine($"  {system}: " + string.Join(", ", settings.Select(s => $"{s.Key}={s.Value}")));
        }

        return text.ToString();
    }

    private static int Width(string column) => Math.Max(10, column.Length);

    private static string Format(double value) => value switch
    {
        >= 100 => value.ToString("N0", CultureInfo.InvariantCulture),
        >= 10 => value.ToString("F1", CultureInfo.InvariantCulture),
        _ => value.ToString("F2", CultureInfo.InvariantCulture),
    };

    public string Json() => JsonSerializer.Serialize(this, new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true });
}
