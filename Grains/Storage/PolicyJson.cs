using System.Text.Json;

namespace OrleansJobs.Storage;

/// <summary>How policy overrides (<see cref="QueuePolicy"/>, <see cref="TenantPolicy"/>) are kept in the stores: JSON with web naming, nulls left out.</summary>
internal static class PolicyJson
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    public static string Write<T>(T policy) => JsonSerializer.Serialize(policy, Options);

    public static T Read<T>(string json)
        where T : new() => JsonSerializer.Deserialize<T>(json, Options) ?? new T();
}
