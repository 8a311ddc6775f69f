using Npgsql;
using OrleansJobs.Security;

namespace OrleansJobs.Storage.Postgres;

internal sealed partial class PostgresJobStore : IApiKeyStore
{
    public async Task CreateApiKeyAsync(ApiKeyRecord key, CancellationToken cancellationToken)
    {
        await using var command = _db.CreateCommand(
            "INSERT INTO api_keys (id, tenant, role, name, secret_hash, created_at) VALUES (@id, @tenant, @role, @name, @hash, @created);");
        command.Parameters.AddWithValue("id", key.Id);
        command.Parameters.Add(new NpgsqlParameter<string?>("tenant", key.Tenant));
        command.Parameters.AddWithValue("role", (short)key.Role);
        command.Parameters.AddWithValue("name", key.Name);
        command.Parameters.AddWithValue("hash", key.SecretHash);
        command.Parameters.AddWithValue("created", Utc(key.CreatedAt));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<ApiKeyRecord?> GetApiKeyAsync(string id, CancellationToken cancellationToken) =>
        (await ReadApiKeysAsync("WHERE id = @id", () => new NpgsqlParameter<string>("id", id), cancellationToken)).SingleOrDefault();

    public Task<IReadOnlyList<ApiKeyRecord>> ListApiKeysAsync(string? tenant, CancellationToken cancellationToken) =>
        ReadApiKeysAsync(tenant is null ? "" : "WHERE tenant = @tenant", () => new NpgsqlParameter<string?>("tenant", tenant), cancellationToken);

    public async Task<bool> RevokeApiKeyAsync(string id, DateTimeOffset now, CancellationToken cancellationToken) =>
        await ExecuteAsync("UPDATE api_keys SET revoked_at = @now WHERE id = @id AND revoked_at IS NULL;", cancellationToken, ("id", id), ("now", Utc(now))) == 1;

    private Task<IReadOnlyList<ApiKeyRecord>> ReadApiKeysAsync(string where, Func<NpgsqlParameter> parameter, CancellationToken cancellationToken) => ReconnectingAsync<IReadOnlyList<ApiKeyRecord>>(async () =>
    {
        await using var command = _db.CreateCommand($"SELECT id, tenant, role, name, secret_hash, created_at, revoked_at FROM api_keys {where} ORDER BY created_at, id;");
        command.Parameters.Add(parameter());
        var keys = new List<ApiKeyRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            keys.Add(new ApiKeyRecord(
                reader.GetString(0),
                reader.IsDBNull(1) ? null : reader.GetString(1),
                (ApiKeyRole)reader.GetInt16(2),
                reader.GetString(3),
                (byte[])reader.GetValue(4),
                Time(reader, 5),
                reader.IsDBNull(6) ? null : Time(reader, 6)));
        }

        return keys;
    }, readOnly: true);
}
