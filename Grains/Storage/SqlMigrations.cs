using System.Reflection;

namespace OrleansJobs.Storage;

/// <summary>
/// The numbered SQL scripts under <c>deploy/sql/</c>, embedded in each store's assembly. A folder's scripts
/// are named <c>NNN_description.sql</c>; version N of a schema is scripts 1..N applied in order.
/// </summary>
internal static class SqlMigrations
{
    private const string Prefix = "OrleansJobs.Sql.";

    /// <summary>The scripts of <paramref name="folder"/> (e.g. <c>sqlite</c>, <c>postgres/jobs</c>) embedded in <paramref name="assembly"/>, in version order.</summary>
    public static IReadOnlyList<string> Load(Assembly assembly, string folder)
    {
        var prefix = Prefix + folder.Replace('\\', '/').TrimEnd('/') + "/";
        var scripts = assembly.GetManifestResourceNames()
            .Where(name => name.StartsWith(prefix, StringComparison.Ordinal) && !name[prefix.Length..].Contains('/'))
            .Select(name => (Version: int.Parse(name[prefix.Length..].Split('_')[0]), Name: name))
            .OrderBy(s => s.Version)
            .ToList();
        for (var i = 0; i < scripts.Count; i++)
        {
            if (scripts[i].Version != i + 1)
            {
                throw new InvalidOperationException($"Migrations in {folder} must be numbered 1..N without gaps; found {scripts[i].Name}.");
            }
        }

        return scripts.Select(s => Read(assembly, s.Name)).ToList();
    }

    private static string Read(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
