using System.Text;

namespace OrleansJobs.Cli;

/// <summary>Plain text columns, padded to fit, numbers right-aligned.</summary>
internal static class TextTable
{
    public static string Render(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string>> rows)
    {
        var all = rows.ToList();
        var widths = headers.Select((h, i) => Math.Max(h.Length, all.Count == 0 ? 0 : all.Max(r => r[i].Length))).ToArray();
        var text = new StringBuilder();
        Line(text, headers, widths, alignNumbers: false);
        text.AppendLine(string.Join("  ", widths.Select(w => new string('-', w))));
        foreach (var row in all)
        {
            Line(text, row, widths, alignNumbers: true);
        }

        return text.ToString();
    }

    private static void Line(StringBuilder text, IReadOnlyList<string> cells, int[] widths, bool alignNumbers)
    {
        for (var i = 0; i < cells.Count; i++)
        {
            var numeric = alignNumbers && cells[i].Length > 0 && (char.IsDigit(cells[i][0]) || cells[i] == "∞");
            text.Append(numeric ? cells[i].PadLeft(widths[i]) : cells[i].PadRight(widths[i]));
            text.Append(i < cells.Count - 1 ? "  " : "");
        }

        text.AppendLine();
    }
}

/// <summary>A one-line progress bar, redrawn in place with a carriage return.</summary>
internal sealed class ProgressBar(TextWriter output, int total, int width = 30)
{
    public void Report(int done)
    {
        var filled = total == 0 ? width : (int)((long)width * Math.Min(done, total) / total);
        output.Write($"\r[{new string('#', filled)}{new string(' ', width - filled)}] {done}/{total}");
    }

    public void Finish(int done)
    {
        Report(done);
        output.WriteLine();
    }
}
