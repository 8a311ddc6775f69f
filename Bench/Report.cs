using System.Globalization;
using System.Text;
using System.Text.Json;
using OrleansJobs.Bench.Infrastructure;
using OrleansJobs.Bench.Scenarios;

namespace OrleansJobs.Bench;

/// <summary>What one run measured, where and how: printed as a table and written as JSON.</summary>
internal sealed record Report(DateTimeOffset At, string Mode, Machine Machine, IReadOnlyDictionary<string, string> Postgres, IReadOnlyList<DrainResult> Drain)
{
    public string Table()
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"OrleansJobs benchmark ({Mode}), {At:u}");
        text.AppendLine(CultureInfo.InvariantCulture, $"Machine: {Machine.Cores} cores ({Machine.Cpu}), {Machine.MemoryBytes / (1L << 30)} GiB, {Machine.Os}, {Machine.Runtime}");
        text.AppendLine("PostgreSQL: " + string.Join(", ", Postgres.Select(s => $"{s.Key}={s.Value}")));
        text.AppendLine();
        text.AppendLine("Drain: N no-op jobs enqueued, then processed (enqueue/s over the producers' time; processed/s from first start to last finish).");
        text.AppendLine($"{"system",-18} {"setup",-14} {"jobs",9} {"enqueue/s",11} {"processed/s",12} {"end to end",11} {"peak RSS",10}");
        foreach (var r in Drain)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"{r.System,-18} {r.Setup,-14} {r.Jobs,9} {r.EnqueuePerSecond,11:N0} {r.ProcessPerSecond,12:N0} {r.EndToEndSeconds,10:F1}s {(r.PeakRssBytes is { } rss ? $"{rss / (1 << 20)} MiB" : "-"),10}");
        }

        foreach (var r in Drain)
        {
            text.AppendLine($"  {r.System} {r.Setup}: " + string.Join(", ", r.Settings.Select(s => $"{s.Key}={s.Value}")));
        }

        return text.ToString();
    }

    public string Json() => JsonSerializer.Serialize(this, new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true });
}
