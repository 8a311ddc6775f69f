using System.Security.Cryptography;

namespace OrleansJobs.Silo;

/// <summary>Where the host's admin key came from, and so whether the admin surface is served.</summary>
internal enum AdminKeyOrigin
{
    /// <summary><c>OrleansJobs:Http:AdminKey</c> is set.</summary>
    Configured,

    /// <summary>Development with no key configured: one was made (or read back) from the data folder.</summary>
    DevelopmentFile,

    /// <summary>Outside Development with no key configured: the jobs page and dashboard are not served.</summary>
    None,
}

/// <summary>The admin key the host runs with, and the file it was kept in when the host made it.</summary>
internal sealed record AdminKey(string? Secret, AdminKeyOrigin Origin, string? FilePath)
{
    /// <summary>The file, beside the embedded store, that keeps a Development host's key across runs.</summary>
    public const string FileName = "admin.key";

    /// <summary>
    /// A configured key wins. In Development, with none configured, the key in <paramref name="dataFolder"/>
    /// is read, or made on the first run and written readable by its owner only. Elsewhere there is none.
    /// </summary>
    public static AdminKey Resolve(string? configured, bool isDevelopment, string dataFolder)
    {
        if (!string.IsNullOrEmpty(configured))
        {
            return new AdminKey(configured, AdminKeyOrigin.Configured, null);
        }

        if (!isDevelopment)
        {
            return new AdminKey(null, AdminKeyOrigin.None, null);
        }

        var path = Path.GetFullPath(Path.Combine(dataFolder, FileName));
        if (File.Exists(path))
        {
            var kept = File.ReadAllText(path).Trim();
            if (kept.Length >= 32)
            {
                return new AdminKey(kept, AdminKeyOrigin.DevelopmentFile, path);
            }
        }

        Directory.CreateDirectory(dataFolder);
        var secret = "ojadmin_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var file = new StreamWriter(path, options))
        {
            file.WriteLine(secret);
        }

        if (!OperatingSystem.IsWindows())
        {
            // An existing file that was too short is rewritten in place and keeps its old mode: tighten it.
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        return new AdminKey(secret, AdminKeyOrigin.DevelopmentFile, path);
    }
}
