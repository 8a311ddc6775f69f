using System.Text;
using OrleansJobs.Storage;

namespace OrleansJobs.Tests.Storage;

/// <summary>Tenant policies, API keys and data-protection keys.</summary>
public abstract partial class JobStoreContractTests
{
    [Fact]
    public async Task A_tenant_policy_override_is_stored_replaced_and_read_back_per_tenant()
    {
        Assert.Equal(new TenantSettings(null, null), await Store.GetTenantSettingsAsync(_tenant, default));
        await Store.SetTenantPolicyAsync(_tenant, new TenantPolicy { MaxInFlight = 12 }, T0, default);
        Assert.Equal(new TenantPolicy { MaxInFlight = 12 }, (await Store.GetTenantSettingsAsync(_tenant, default)).Override);
        Assert.Null((await Store.GetTenantSettingsAsync(_tenant + "x", default)).Override);

        await Store.SetTenantPolicyAsync(_tenant, new TenantPolicy(), T0.AddMinutes(1), default);
        Assert.Equal(new TenantPolicy(), (await Store.GetTenantSettingsAsync(_tenant, default)).Override);
    }

    [Fact]
    public async Task A_tenant_pause_is_kept_beside_its_policy_and_each_survives_the_other_being_set()
    {
        // Paused with no policy: the policy reads as an empty override, which inherits everything.
        await Store.SetTenantPausedAsync(_tenant, T0, T0, default);
        Assert.Equal(new TenantSettings(new TenantPolicy(), T0), await Store.GetTenantSettingsAsync(_tenant, default));

        await Store.SetTenantPolicyAsync(_tenant, new TenantPolicy { MaxInFlight = 3 }, T0.AddMinutes(1), default);
        Assert.Equal(new TenantSettings(new TenantPolicy { MaxInFlight = 3 }, T0), await Store.GetTenantSettingsAsync(_tenant, default));

        await Store.SetTenantPausedAsync(_tenant, null, T0.AddMinutes(2), default);
        Assert.Equal(new TenantSettings(new TenantPolicy { MaxInFlight = 3 }, null), await Store.GetTenantSettingsAsync(_tenant, default));
        Assert.Equal(new TenantSettings(null, null), await Store.GetTenantSettingsAsync(_tenant + "x", default));
    }

    [Fact]
    public async Task Api_keys_are_stored_hashed_listed_per_tenant_and_revoked_once()
    {
        var keys = (OrleansJobs.Security.IApiKeyStore)Store;
        var id = "k" + Guid.NewGuid().ToString("N")[..11];
        var admin = "a" + Guid.NewGuid().ToString("N")[..11];
        var producer = new OrleansJobs.Security.ApiKeyRecord(id, _tenant, OrleansJobs.Security.ApiKeyRole.Producer, "web app", [1, 2, 3], T0, null);
        await keys.CreateApiKeyAsync(producer, default);
        await keys.CreateApiKeyAsync(new(admin, null, OrleansJobs.Security.ApiKeyRole.Admin, "ops", [9], T0.AddSeconds(1), null), default);

        var read = (await keys.GetApiKeyAsync(id, default))!;
        Assert.Equal(producer with { SecretHash = read.SecretHash }, read);
        Assert.Equal([1, 2, 3], read.SecretHash);
        Assert.Equal([id], (await keys.ListApiKeysAsync(_tenant, default)).Select(k => k.Id));
        Assert.Contains(admin, (await keys.ListApiKeysAsync(null, default)).Select(k => k.Id));

        Assert.True(await keys.RevokeApiKeyAsync(id, T0.AddMinutes(1), default));
        Assert.False(await keys.RevokeApiKeyAsync(id, T0.AddMinutes(2), default));
        Assert.Equal(T0.AddMinutes(1), (await keys.GetApiKeyAsync(id, default))!.RevokedAt);
        Assert.Null(await keys.GetApiKeyAsync("nope", default));
    }

    [Fact]
    public async Task Data_protection_keys_are_kept_once_by_name_and_listed_oldest_first()
    {
        var keys = (OrleansJobs.Security.IDataProtectionKeyStore)Store;
        var (first, second) = ("key-" + Guid.NewGuid().ToString("N"), "key-" + Guid.NewGuid().ToString("N"));
        await keys.StoreDataProtectionKeyAsync(new(second, "<key id=\"2\"/>"), T0.AddMinutes(1), default);
        await keys.StoreDataProtectionKeyAsync(new(first, "<key id=\"1\"/>"), T0, default);
        await keys.StoreDataProtectionKeyAsync(new(first, "<key id=\"changed\"/>"), T0.AddMinutes(2), default);

        var listed = (await keys.ListDataProtectionKeysAsync(default)).Where(k => k.Name == first || k.Name == second).ToList();
        Assert.Equal([new(first, "<key id=\"1\"/>"), new(second, "<key id=\"2\"/>")], listed);
    }
}
