using OrleansJobs.Security;

namespace OrleansJobs.Storage.Postgres;

internal sealed partial class PostgresJobStore : IDataProtectionKeyStore
{
    public async Task<IReadOnlyList<DataProtectionKeyRecord>> ListDataProtectionKeysAsync(CancellationToken cancellationToken)
    {
        await using var command = _db.CreateCommand("SELECT name, xml FROM data_protection_keys ORDER BY created_at, name;");
        var keys = new List<DataProtectionKeyRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            keys.Add(new DataProtectionKeyRecord(reader.GetString(0), reader.GetString(1)));
        }

        return keys;
    }

    public Task StoreDataProtectionKeyAsync(DataProtectionKeyRecord key, DateTimeOffset now, CancellationToken cancellationToken) =>
        ExecuteAsync(
            "INSERT INTO data_protection_keys (name, xml, created_at) VALUES (@name, @xml, @created) ON CONFLICT (name) DO NOTHING;",
            cancellationToken, ("name", key.Name), ("xml", key.Xml), ("created", Utc(now)));
}
