using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;

namespace OrleansJobs.Http.Pages;

/// <summary>Server-side HTML for the jobs page: encoded text and one plain layout, no scripts.</summary>
internal static class Html
{
    public static string E(string? text) => HtmlEncoder.Default.Encode(text ?? "");

    public static string Duration(TimeSpan? value) => value switch
    {
        null => "∞",
        { TotalSeconds: < 1 } v => $"{v.TotalMilliseconds:F0} ms",
        { TotalMinutes: < 2 } v => $"{v.TotalSeconds:F1} s",
        { TotalHours: < 2 } v => $"{v.TotalMinutes:F1} min",
        { } v => $"{v.TotalHours:F1} h",
    };

    public static string Number(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);

    public static string Page(string title, string body, int? refreshSeconds = null)
    {
        var html = new StringBuilder();
        html.Append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">");
        if (refreshSeconds is { } refresh)
        {
            html.Append(CultureInfo.InvariantCulture, $"<meta http-equiv=\"refresh\" content=\"{refresh}\">");
        }

        html.Append(CultureInfo.InvariantCulture, $"<title>{E(title)} · OrleansJobs</title>");
        html.Append("""
            <style>
              body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #222; }
              table { border-collapse: collapse; margin: .5rem 0 1.5rem; }
              th, td { border-bottom: 1px solid #ddd; padding: .3rem .7rem; text-align: left; vertical-align: top; }
              td.n { text-align: right; font-variant-numeric: tabular-nums; }
              .note { background: #eef6ee; padding: .5rem .8rem; border-left: 4px solid #4a4; }
              .error { background: #fbeeee; padding: .5rem .8rem; border-left: 4px solid #c44; }
              .muted { color: #777; }
              form.inline { display: inline; }
            </style></head><body>
            """);
        html.Append(body);
        html.Append("</body></html>");
        return html.ToString();
    }
}
