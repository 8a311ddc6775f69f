using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OrleansJobs.Http.Security;
using OrleansJobs.Security;

namespace OrleansJobs.Http;

/// <summary>Keeps the host's data-protection keys in the job store.</summary>
public static class DataProtectionBuilderExtensions
{
    /// <summary>
    /// Keeps the data-protection key ring in the grid's job store (table <c>data_protection_keys</c>),
    /// shared by every silo: the jobs page's sign-in cookie and antiforgery tokens then survive a request
    /// served by another silo and a restart. Give every silo the same <c>SetApplicationName</c>. The keys
    /// are stored unencrypted, as with a file system folder; add <c>ProtectKeysWith…</c> to encrypt them.
    /// </summary>
    public static IDataProtectionBuilder PersistKeysToOrleansJobsStore(this IDataProtectionBuilder builder)
    {
        builder.Services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(services => new ConfigureOptions<KeyManagementOptions>(options =>
            options.XmlRepository = new StoreXmlRepository(services.GetRequiredService<IDataProtectionKeyStore>(), services.GetService<TimeProvider>() ?? TimeProvider.System)));
        return builder;
    }
}
