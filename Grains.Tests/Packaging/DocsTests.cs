using System.Text.RegularExpressions;
using OrleansJobs.Tests.Process;

namespace OrleansJobs.Tests.Packaging;

/// <summary>The README and docs/ point only at what exists in this repository.</summary>
public sealed partial class DocsTests
{
    public static TheoryData<string> Documents()
    {
        var root = SiloProcess.RepositoryRoot;
        return new(Directory.GetFiles(Path.Combine(root, "docs"), "*.md").Append(Path.Combine(root, "README.md"))
            .Select(path => Path.GetRelativePath(root, path)));
    }

    [Theory]
    [MemberData(nameof(Documents))]
    public void Every_relative_link_and_every_quoted_repository_path_exists(string document)
    {
        var root = SiloProcess.RepositoryRoot;
        var path = Path.Combine(root, document);
        var text = File.ReadAllText(path);

        var missing = new List<string>();
        foreach (Match link in RelativeLink().Matches(text))
        {
            var target = link.Groups["target"].Value.Split('#')[0];
            if (target.Length > 0 && !Path.Exists(Path.Combine(Path.GetDirectoryName(path)!, target)))
            {
                missing.Add($"link {target}");
            }
        }

        foreach (Match quoted in QuotedRepositoryPath().Matches(text))
        {
            var target = quoted.Groups["path"].Value;
            if (!target.Contains('<') && !target.Contains('*') && !Path.Exists(Path.Combine(root, target)))
            {
                missing.Add($"path {target}");
            }
        }

        Assert.True(missing.Count == 0, $"{document} names what is not in the repository: {string.Join(", ", missing)}");
        Assert.DoesNotContain("../shared", text);
    }

    [Fact]
    public void The_readme_stays_a_readme()
    {
        var lines = File.ReadAllLines(Path.Combine(SiloProcess.RepositoryRoot, "README.md")).Length;
        Assert.InRange(lines, 100, 260);
    }

    [GeneratedRegex(@"\]\((?<target>(?!https?:|mailto:|#)[^)\s]+)\)")]
    private static partial Regex RelativeLink();

    [GeneratedRegex(@"`(?<path>(?:Abstractions|Client|Grains|Grains\.Tests|Sqlite|PostgreSql|Http|Cli|Silo|Bench|Samples|deploy|docs)/[^`\s]*)`")]
    private static partial Regex QuotedRepositoryPath();
}
