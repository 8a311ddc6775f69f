using System.Text.RegularExpressions;
using System.Xml.Linq;
using OrleansJobs.Tests.Process;

namespace OrleansJobs.Tests.Packaging;

/// <summary>
/// The packages as a team would get them: complete metadata, split by concern, and a fresh project
/// outside the repository that references only them builds and runs the README's getting-started program.
/// </summary>
public sealed partial class PackageTests(PackedPackages packages) : IClassFixture<PackedPackages>
{
    [Fact]
    public void Only_the_shipped_projects_make_packages()
    {
        var made = Directory.GetFiles(packages.Folder, "*.nupkg")
            .Select(p => Path.GetFileName(p)[..^($".{packages.Version}.nupkg".Length)])
            .Order()
            .ToList();

        Assert.Equal(PackedPackages.Shipped.Order(), made);
    }

    [Theory]
    [MemberData(nameof(ShippedIds))]
    public void Every_shipped_package_carries_its_metadata_license_readme_and_symbols(string id)
    {
        var nuspec = packages.NuspecOf(id);
        var ns = nuspec.Name.Namespace;
        var metadata = nuspec.Element(ns + "metadata")!;
        string? Field(string name) => metadata.Element(ns + name)?.Value;

        Assert.Equal(id, Field("id"));
        Assert.Equal("MIT", Field("license"));
        Assert.Equal("expression", metadata.Element(ns + "license")!.Attribute("type")!.Value);
        Assert.Equal("README.md", Field("readme"));
        Assert.NotEqual(id, Field("authors"));
        Assert.DoesNotContain("Package Description", Field("description"));
        Assert.Contains("orleans", Field("tags"));
        var repository = metadata.Element(ns + "repository")!;
        Assert.StartsWith("https://", repository.Attribute("url")!.Value);
        Assert.Matches("^[0-9a-f]{40}$", repository.Attribute("commit")!.Value);

        var files = packages.FilesOf(id);
        Assert.Contains("README.md", files);
        Assert.Contains("LICENSE", files);
        Assert.True(File.Exists(Path.ChangeExtension(packages.PathOf(id), ".snupkg")), $"{id} has no symbol package");
    }

    [Fact]
    public void The_server_and_the_contracts_do_not_drag_a_database_driver_into_an_app()
    {
        foreach (var id in new[] { "OrleansJobs.Abstractions", "OrleansJobs.Client", "OrleansJobs.Server", "OrleansJobs.Http" })
        {
            var dependencies = DependencyIds(id);
            Assert.DoesNotContain("Npgsql", dependencies);
            Assert.DoesNotContain("Microsoft.Data.Sqlite", dependencies);
            Assert.DoesNotContain("OrleansJobs.Sqlite", dependencies);
            Assert.DoesNotContain("OrleansJobs.PostgreSql", dependencies);
        }

        Assert.DoesNotContain("Microsoft.Orleans.Server", DependencyIds("OrleansJobs.Abstractions"));
        Assert.DoesNotContain("Microsoft.Orleans.Server", DependencyIds("OrleansJobs.Client"));
        Assert.Contains("Microsoft.Data.Sqlite", DependencyIds("OrleansJobs.Sqlite"));
        Assert.Contains("Npgsql", DependencyIds("OrleansJobs.PostgreSql"));
        Assert.Contains("Microsoft.Orleans.Clustering.AdoNet", DependencyIds("OrleansJobs.PostgreSql"));
    }

    [Fact]
    public void The_cli_is_a_dotnet_tool_named_orleansjobs()
    {
        var nuspec = packages.NuspecOf("OrleansJobs.Cli");
        var ns = nuspec.Name.Namespace;
        var types = nuspec.Descendants(ns + "packageType").Select(t => t.Attribute("name")!.Value);
        Assert.Contains("DotnetTool", types);

        var settings = packages.FilesOf("OrleansJobs.Cli").Single(f => f.EndsWith("DotnetToolSettings.xml", StringComparison.Ordinal));
        Assert.Contains("tools/", settings);
        using var zip = System.IO.Compression.ZipFile.OpenRead(packages.PathOf("OrleansJobs.Cli"));
        using var stream = zip.GetEntry(settings)!.Open();
        var command = XDocument.Load(stream).Descendants("Command").Single();
        Assert.Equal("orleansjobs", command.Attribute("Name")!.Value);
    }

    [Fact]
    public async Task A_fresh_project_on_the_packages_runs_the_readme_getting_started_program()
    {
        var folder = Directory.CreateTempSubdirectory("orleansjobs-consumer-").FullName;
        try
        {
            await File.WriteAllTextAsync(Path.Combine(folder, "nuget.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources>
                    <clear />
                    <add key="local" value="{packages.Folder}" />
                    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
                  </packageSources>
                </configuration>
                """);
            await File.WriteAllTextAsync(Path.Combine(folder, "Hello.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <TargetFramework>net10.0</TargetFramework>
                    <ImplicitUsings>enable</ImplicitUsings>
                    <Nullable>enable</Nullable>
                  </PropertyGroup>
                  <ItemGroup>
                    <PackageReference Include="OrleansJobs.Server" Version="{packages.Version}" />
                    <PackageReference Include="OrleansJobs.Sqlite" Version="{packages.Version}" />
                  </ItemGroup>
                </Project>
                """);
            var program = GettingStartedProgram();
            Assert.InRange(program.Split('\n').Length, 10, 40);
            await File.WriteAllTextAsync(Path.Combine(folder, "Program.cs"), program);

            var run = await DotnetCommand.RunAsync(folder, TimeSpan.FromMinutes(6), "run", "-c", "Release");

            Assert.True(run.ExitCode == 0, $"the consumer failed (exit {run.ExitCode}):\n{run.Output}");
            Assert.Matches(@"Welcome, ada@example\.com!", run.Output);
            Assert.Matches(@"job [0-9a-f-]+: Succeeded", run.Output);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    public static TheoryData<string> ShippedIds() => new(PackedPackages.Shipped);

    /// <summary>The C# block that follows the getting-started marker in the README, as a user would paste it.</summary>
    internal static string GettingStartedProgram()
    {
        var readme = File.ReadAllText(Path.Combine(SiloProcess.RepositoryRoot, "README.md"));
        var match = GettingStartedBlock().Match(readme);
        Assert.True(match.Success, "README.md has no ```csharp block after <!-- getting-started: Program.cs -->");
        return match.Groups["code"].Value;
    }

    private HashSet<string> DependencyIds(string id)
    {
        var nuspec = packages.NuspecOf(id);
        return nuspec.Descendants(nuspec.Name.Namespace + "dependency").Select(d => d.Attribute("id")!.Value).ToHashSet();
    }

    [GeneratedRegex(@"<!-- getting-started: Program\.cs -->\s*```csharp\n(?<code>.*?)```", RegexOptions.Singleline)]
    private static partial Regex GettingStartedBlock();
}
