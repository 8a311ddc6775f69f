using OrleansJobs.Security;

namespace OrleansJobs.Storage.Sqlite;

internal sealed partial class SqliteJobStore : IDataProtectionKeyStore
{
    public async Task<IReadOnlyList<DataProtectionKeyRecord>> ListDataProtectionKeysAsync(CancellationToken cancellationToken)
    {
        await using var db = await OpenReaderAsync(cancellationToken);
        await using var command = db.CreateCommand();
        command.CommandText = DataProtectionKeySql.List;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await DataProtectionKeySql.ReadAsync(reader, cancellationToken);
    }

    public Task StoreDataProtectionKeyAsync(DataProtectionKeyRecord key, DateTimeOffset now, CancellationToken cancellationToken) =>
        WriteOneAsync(DataProtectionKeySql.Insert, cancellationToken, ("@name", key.Name), ("@xml", key.Xml), ("@created", Ms(now)));
}
