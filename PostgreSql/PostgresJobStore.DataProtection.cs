using OrleansJobs.Security;

namespace OrleansJobs.Storage.Postgres;

internal sealed partial class PostgresJobStore : IDataProtectionKeyStore
{
    public async Task<IReadOnlyList<DataProtectionKeyRecord>> ListDataProtectionKeysAsync(CancellationToken cancellationToken)
    {
        await using var command = _db.CreateCommand(DataProtectionKeySql.List);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await DataProtectionKeySql.ReadAsync(reader, cancellationToken);
    }

    public Task StoreDataProtectionKeyAsync(DataProtectionKeyRecord key, DateTimeOffset now, CancellationToken cancellationToken) =>
        ExecuteAsync(DataProtectionKeySql.Insert, cancellationToken, ("name", key.Name), ("xml", key.Xml), ("created", Utc(now)));
}
