using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.Repositories;
using OrleansJobs.Security;

namespace OrleansJobs.Http.Security;

/// <summary>
/// The data-protection key ring in the job store, so every silo of a cluster (and a restarted one)
/// reads the antiforgery tokens and sign-in cookies the others wrote. ASP.NET Core reads the ring
/// rarely (it caches it for hours) and its repository contract is synchronous, so the store's calls
/// are waited for here.
/// </summary>
internal sealed class StoreXmlRepository(IDataProtectionKeyStore store, TimeProvider time) : IXmlRepository
{
    public IReadOnlyCollection<XElement> GetAllElements() =>
        [.. store.ListDataProtectionKeysAsync(CancellationToken.None).GetAwaiter().GetResult().Select(k => XElement.Parse(k.Xml))];

    public void StoreElement(XElement element, string friendlyName) =>
        store.StoreDataProtectionKeyAsync(new DataProtectionKeyRecord(friendlyName, element.ToString(SaveOptions.DisableFormatting)), time.GetUtcNow(), CancellationToken.None)
            .GetAwaiter().GetResult();
}
