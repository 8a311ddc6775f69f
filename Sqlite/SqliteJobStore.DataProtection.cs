using OrleansJobs.Security;

namespace OrleansJobs.Storage.Sqlite;

internal sealed partial class SqliteJobStore : IDataProtectionKeyStore
{
    public async Task<IReadOnlyList<DataProtectionKeyRecord>> ListDataProtectionKeysAsync(CancellationToken cancellationToken)
    {
        await using var db = await OpenReaderAsync(cancellationToken);
        await using var command = db.CreateCommand();
        command.CommandText = "SELECT name, xml FROM data_protection_keys ORDER BY created_at, name;";
        var keys = new List<DataProtectionKeyRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            keys.Add(new DataProtectionKeyRecord(reader.GetString(0), reader.GetString(1)));
        }

        return keys;
    }

    public Task StoreDataProtectionKeyAsync(DataProtectionKeyRecord key, DateTimeOffset now, CancellationToken cancellationToken) =>
        WriteOneAsync(
            "INSERT INTO data_protection_keys (name, xml, created_at) VALUES (@name, @xml, @created) ON CONFLICT (name) DO NOTHING;",
            cancellationToken, ("@name", key.Name), ("@xml", key.Xml), ("@created", Ms(now)));
}
