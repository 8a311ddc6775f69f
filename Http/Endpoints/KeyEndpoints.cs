using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using OrleansJobs.Http.Security;
using OrleansJobs.Security;

namespace OrleansJobs.Http.Endpoints;

/// <summary>API keys (admin only): make, list, revoke.</summary>
internal static class KeyEndpoints
{
    public static void Map(RouteGroupBuilder api, string apiPath)
    {
        var keys = api.MapGroup("/keys").WithTags("Keys").RequireRole(ApiKeyRole.Admin);

        keys.MapPost("/", async (HttpContext http, JsonBody<CreateKeyRequest> body, IApiKeyStore store, TimeProvider time, CancellationToken ct) =>
            {
                var request = body.Value;
                if (!Enum.IsDefined(request.Role))
                {
                    return Problems.Field("role", "out_of_range", "must be producer, operator or admin.");
                }

                if (request.Role == ApiKeyRole.Admin ? request.Tenant is not null : request.Tenant is null)
                {
                    return Problems.Field("tenant", request.Role == ApiKeyRole.Admin ? "not_allowed" : "required", "admin keys have no tenant; producer and operator keys need one.");
                }

                if (request.Tenant is not null)
                {
                    JobValidator.ValidateName(request.Tenant, "tenant");
                }

                if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Length > 200)
                {
                    return Problems.Field("name", "invalid", "a name of 1 to 200 characters is required, to tell keys apart.");
                }

                var (id, key, hash) = ApiKeySecrets.Create();
                await store.CreateApiKeyAsync(new ApiKeyRecord(id, request.Tenant, request.Role, request.Name, hash, time.GetUtcNow(), null), ct);
                return ApiJson.Located($"{http.Request.PathBase}{apiPath}/keys/{id}", new CreatedKeyResponse(id, key, request.Tenant, request.Role, request.Name), StatusCodes.Status201Created);
            })
            .WithName("OrleansJobs.CreateKey")
            .Produces<CreatedKeyResponse>(StatusCodes.Status201Created)
            .WithMetadata(new BodyLimit(16 * 1024))
            .WithSummary("Make a key; its secret is in this answer only.");

        keys.MapGet("/", async (string? tenant, IApiKeyStore store, CancellationToken ct) =>
            {
                if (tenant is not null)
                {
                    JobValidator.ValidateName(tenant, "tenant");
                }

                return ApiJson.Ok((await store.ListApiKeysAsync(tenant, ct)).Select(k => new ApiKeyResponse(k.Id, k.Tenant, k.Role, k.Name, k.CreatedAt, k.RevokedAt)).ToList());
            })
            .WithName("OrleansJobs.ListKeys")
            .Produces<List<ApiKeyResponse>>()
            .WithSummary("Every key, or one tenant's; never their secrets.");

        keys.MapDelete("/{id}", async (string id, IApiKeyStore store, ApiKeyAuthenticator authenticator, TimeProvider time, CancellationToken ct) =>
            {
                if (!await store.RevokeApiKeyAsync(id, time.GetUtcNow(), ct))
                {
                    return Problems.NotFound($"There is no live key '{id}'.");
                }

                authenticator.Forget(id);
                return Results.NoContent();
            })
            .WithName("OrleansJobs.RevokeKey")
            .Produces(StatusCodes.Status204NoContent)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithSummary("Revoke a key: this silo refuses it at once, the others within the key cache duration.");
    }
}
