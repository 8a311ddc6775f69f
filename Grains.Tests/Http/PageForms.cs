using System.Net;
using System.Text.RegularExpressions;

namespace OrleansJobs.Tests.Http;

/// <summary>What a test needs to post a jobs page's form: the antiforgery field the page rendered.</summary>
internal static partial class PageForms
{
    /// <summary>The antiforgery field's name and value on <paramref name="html"/>; fails when the page has none.</summary>
    public static (string Name, string Value) Token(string html)
    {
        var match = TokenField().Match(html);
        Assert.True(match.Success, "no antiforgery field on the page: " + html[..Math.Min(html.Length, 3000)]);
        return (match.Groups[1].Value, WebUtility.HtmlDecode(match.Groups[2].Value));
    }

    [GeneratedRegex("""<input[^>]* name="(__RequestVerificationToken[^"]*)"[^>]* value="([^"]+)"[^>]*>""")]
    private static partial Regex TokenField();
}
