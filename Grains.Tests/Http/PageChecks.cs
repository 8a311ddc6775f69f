using System.Text.Json;
using OpenQA.Selenium;
using OrleansJobs.Tests.Process;

namespace OrleansJobs.Tests.Http;

/// <summary>
/// What the browser test checks on every page it opens: axe-core's accessibility rules (installed from
/// npm by ./test.sh into Grains.Tests/Accessibility) find no fault, and a screenshot is kept as an artifact
/// in TestResults/screenshots.
/// </summary>
internal static class PageChecks
{
    private static readonly string Axe = Path.Combine(SiloProcess.RepositoryRoot, "Grains.Tests", "Accessibility", "node_modules", "axe-core", "axe.min.js");

    public static string Screenshots { get; } = Path.Combine(SiloProcess.RepositoryRoot, "TestResults", "screenshots");

    /// <summary>Runs axe-core on the page shown and fails, listing each rule broken and where, if it finds anything.</summary>
    public static void AssertAccessible(IWebDriver browser, string page)
    {
        Assert.True(File.Exists(Axe), $"{Axe} is missing: ./test.sh installs it (npm ci in Grains.Tests/Accessibility).");
        var scripts = (IJavaScriptExecutor)browser;
        scripts.ExecuteScript(File.ReadAllText(Axe));
        var json = (string?)scripts.ExecuteAsyncScript("""
            const done = arguments[arguments.length - 1];
            axe.run(document, { resultTypes: ['violations'] })
              .then(r => done(JSON.stringify(r.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' ')) })))))
              .catch(e => done(JSON.stringify([{ id: 'axe-failed', impact: 'critical', help: String(e), nodes: [] }])));
            """);
        var violations = JsonSerializer.Deserialize<List<Violation>>(json ?? "[]", Json)!;
        Assert.True(violations.Count == 0, $"axe-core found accessibility faults on the {page} page:\n" + string.Join("\n", violations.Select(v => $"  {v.Id} ({v.Impact}): {v.Help} at {string.Join(", ", v.Nodes)}")));
    }

    /// <summary>Keeps a screenshot of the page shown, named for it.</summary>
    public static void Screenshot(IWebDriver browser, string name)
    {
        Directory.CreateDirectory(Screenshots);
        ((ITakesScreenshot)browser).GetScreenshot().SaveAsFile(Path.Combine(Screenshots, name + ".png"));
    }

    /// <summary>Both checks on the page shown.</summary>
    public static void Check(IWebDriver browser, string page)
    {
        Screenshot(browser, page);
        AssertAccessible(browser, page);
    }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private sealed record Violation(string Id, string? Impact, string Help, List<string> Nodes);
}
