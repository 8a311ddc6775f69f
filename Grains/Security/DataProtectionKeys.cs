namespace OrleansJobs.Security;

/// <summary>One data-protection key as ASP.NET Core writes it: a name and its XML.</summary>
public sealed record DataProtectionKeyRecord(string Name, string Xml);

/// <summary>
/// Where the HTTP hosts keep their data-protection key ring: the job store's <c>data_protection_keys</c>
/// table, shared by every silo, so cookies and antiforgery tokens survive a request served by another
/// silo and a restart.
/// </summary>
public interface IDataProtectionKeyStore
{
    /// <summary>Every key, oldest first.</summary>
    Task<IReadOnlyList<DataProtectionKeyRecord>> ListDataProtectionKeysAsync(CancellationToken cancellationToken);

    /// <summary>Stores a key; a key of the same name is kept as it was (names are unique ids).</summary>
    Task StoreDataProtectionKeyAsync(DataProtectionKeyRecord key, DateTimeOffset now, CancellationToken cancellationToken);
}
