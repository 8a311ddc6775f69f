using System.Security.Cryptography;
using System.Text;

namespace OrleansJobs.Http.Security;

/// <summary>
/// The shape of a key, <c>ojk_{id}_{secret}</c>: the id finds the stored row, the secret (32 random
/// bytes, base64url) is checked against its SHA-256. A fast hash suffices because the secret is
/// random and long; nothing guessable is hashed.
/// </summary>
internal static class ApiKeySecrets
{
    private const string Prefix = "ojk_";

    public static (string Id, string Key, byte[] Hash) Create()
    {
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        var secret = Base64Url(RandomNumberGenerator.GetBytes(32));
        return (id, $"{Prefix}{id}_{secret}", Hash(secret));
    }

    public static bool TryParse(string key, out string id, out string secret)
    {
        (id, secret) = ("", "");
        if (!key.StartsWith(Prefix, StringComparison.Ordinal) || key.Length > 200)
        {
            return false;
        }

        var separator = key.IndexOf('_', Prefix.Length);
        if (separator < 0)
        {
            return false;
        }

        (id, secret) = (key[Prefix.Length..separator], key[(separator + 1)..]);
        return id.Length > 0 && secret.Length > 0;
    }

    public static byte[] Hash(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));

    public static bool Matches(string secret, byte[] hash) => CryptographicOperations.FixedTimeEquals(Hash(secret), hash);

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
