namespace OrleansJobs.Bench.Infrastructure;

/// <summary>Where things are, relative to this program's output (Bench/bin/Configuration/framework).</summary>
internal static class Repository
{
    private static readonly DirectoryInfo Output = new(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));

    public static string Root => Output.Parent!.Parent!.Parent!.Parent!.FullName;

    /// <summary>The built silo host of the same configuration as this program.</summary>
    public static string SiloFolder => Path.Combine(Root, "Silo", "bin", Output.Parent!.Name, Output.Name);
}
