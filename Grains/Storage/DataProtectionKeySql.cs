using System.Data.Common;
using OrleansJobs.Security;

namespace OrleansJobs.Storage;

/// <summary>The <c>data_protection_keys</c> table (migration 9), the same SQL in both stores.</summary>
internal static class DataProtectionKeySql
{
    /// <summary>Every key, oldest first.</summary>
    public const string List = "SELECT name, xml FROM data_protection_keys ORDER BY created_at, name;";

    /// <summary>Stores a key with <c>@name</c>, <c>@xml</c> and <c>@created</c> bound; an existing name is kept as it was.</summary>
    public const string Insert = "INSERT INTO data_protection_keys (name, xml, created_at) VALUES (@name, @xml, @created) ON CONFLICT (name) DO NOTHING;";

    /// <summary>Reads the rows of <see cref="List"/>.</summary>
    public static async Task<IReadOnlyList<DataProtectionKeyRecord>> ReadAsync(DbDataReader reader, CancellationToken cancellationToken)
    {
        var keys = new List<DataProtectionKeyRecord>();
        while (await reader.ReadAsync(cancellationToken))
        {
            keys.Add(new DataProtectionKeyRecord(reader.GetString(0), reader.GetString(1)));
        }

        return keys;
    }
}
