using Microsoft.Data.Sqlite;
using OrleansJobs.Security;

namespace OrleansJobs.Storage.Sqlite;

internal sealed partial class SqliteJobStore : IApiKeyStore
{
    public async Task CreateApiKeyAsync(ApiKeyRecord key, CancellationToken cancellationToken) =>
        await WriteOneAsync(
            "INSERT INTO api_keys (id, tenant, role, name, secret_hash, created_at) VALUES (@id, @tenant, @role, @name, @hash, @created);",
            cancellationToken, ("@id", key.Id), ("@tenant", key.Tenant), ("@role", (int)key.Role), ("@name", key.Name), ("@hash", key.SecretHash), ("@created", Ms(key.CreatedAt)));

    public async Task<ApiKeyRecord?> GetApiKeyAsync(string id, CancellationToken cancellationToken) =>
        (await ReadApiKeysAsync("WHERE id = @id", ("@id", id), cancellationToken)).SingleOrDefault();

    public Task<IReadOnlyList<ApiKeyRecord>> ListApiKeysAsync(string? tenant, CancellationToken cancellationToken) =>
        ReadApiKeysAsync(tenant is null ? "" : "WHERE tenant = @tenant", ("@tenant", tenant), cancellationToken);

    public async Task<bool> RevokeApiKeyAsync(string id, DateTimeOffset now, CancellationToken cancellationToken) =>
        await WriteOneAsync("UPDATE api_keys SET revoked_at = @now WHERE id = @id AND revoked_at IS NULL;", cancellationToken, ("@id", id), ("@now", Ms(now))) == 1;

    private async Task<IReadOnlyList<ApiKeyRecord>> ReadApiKeysAsync(string where, (string Name, object? Value) parameter, CancellationToken cancellationToken)
    {
        await using var db = await OpenReaderAsync(cancellationToken);
        await using var command = db.CreateCommand();
        command.CommandText = $"SELECT id, tenant, role, name, secret_hash, created_at, revoked_at FROM api_keys {where} ORDER BY created_at, id;";
        command.Parameters.AddWithValue(parameter.Name, parameter.Value ?? DBNull.Value);
        var keys = new List<ApiKeyRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            keys.Add(new ApiKeyRecord(
                reader.GetString(0),
                reader.IsDBNull(1) ? null : reader.GetString(1),
                (ApiKeyRole)reader.GetInt32(2),
                reader.GetString(3),
                (byte[])reader.GetValue(4),
                Time(reader.GetInt64(5)),
                reader.IsDBNull(6) ? null : Time(reader.GetInt64(6))));
        }

        return keys;
    }
}
