using System.IO.Compression;
using System.Xml.Linq;
using OrleansJobs.Tests.Process;

namespace OrleansJobs.Tests.Packaging;

/// <summary>
/// The packages the repository ships, packed from this build. <c>test.sh</c> packs them once into
/// <c>ORLEANSJOBS_TEST_PACKAGES</c>; run alone, the fixture packs them into a folder of its own.
/// Each pack gets a version of its own, so a consumer never restores a stale copy from the NuGet cache.
/// </summary>
public sealed class PackedPackages : IAsyncLifetime
{
    /// <summary>What the repository ships, one package per concern.</summary>
    public static readonly string[] Shipped =
    [
        "OrleansJobs.Abstractions",
        "OrleansJobs.Client",
        "OrleansJobs.Server",
        "OrleansJobs.Sqlite",
        "OrleansJobs.PostgreSql",
        "OrleansJobs.Http",
        "OrleansJobs.Cli",
    ];

    private string? _ownFolder;

    public string Folder { get; private set; } = "";

    public string Version { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var given = Environment.GetEnvironmentVariable("ORLEANSJOBS_TEST_PACKAGES");
        if (!string.IsNullOrEmpty(given) && Directory.Exists(given))
        {
            Folder = given;
        }
        else
        {
            _ownFolder = Directory.CreateTempSubdirectory("orleansjobs-packages-").FullName;
            Folder = _ownFolder;
            var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
            var pack = await DotnetCommand.RunAsync(
                SiloProcess.RepositoryRoot,
                TimeSpan.FromMinutes(5),
                "pack", "OrleansJobs.sln", "-c", configuration, "--no-build", "-nologo", "-o", Folder,
                $"-p:VersionSuffix=test.{DateTime.UtcNow:yyyyMMddHHmmss}");
            Assert.True(pack.ExitCode == 0, $"dotnet pack failed:\n{pack.Output}");
        }

        var server = Directory.GetFiles(Folder, "OrleansJobs.Server.*.nupkg").Single();
        Version = Path.GetFileNameWithoutExtension(server)["OrleansJobs.Server.".Length..];
    }

    /// <summary>The path of a shipped package's .nupkg.</summary>
    public string PathOf(string id) => Path.Combine(Folder, $"{id}.{Version}.nupkg");

    /// <summary>The package's nuspec, as packed.</summary>
    public XElement NuspecOf(string id)
    {
        using var zip = ZipFile.OpenRead(PathOf(id));
        var entry = zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal) && !e.FullName.Contains('/'));
        using var stream = entry.Open();
        return XDocument.Load(stream).Root!;
    }

    /// <summary>The names of the files inside the package.</summary>
    public IReadOnlyList<string> FilesOf(string id)
    {
        using var zip = ZipFile.OpenRead(PathOf(id));
        return zip.Entries.Select(e => e.FullName).ToList();
    }

    public Task DisposeAsync()
    {
        if (_ownFolder is not null)
        {
            Directory.Delete(_ownFolder, recursive: true);
        }

        // The test's versions are unique; leave no copies of them in the machine's NuGet cache.
        var cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        foreach (var id in Shipped)
        {
            var copy = Path.Combine(cache, id.ToLowerInvariant(), Version.ToLowerInvariant());
            if (Directory.Exists(copy))
            {
                Directory.Delete(copy, recursive: true);
            }
        }

        return Task.CompletedTask;
    }
}
