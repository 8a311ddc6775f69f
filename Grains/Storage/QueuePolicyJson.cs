using System.Text.Json;

namespace OrleansJobs.Storage;

/// <summary>How a <see cref="QueuePolicy"/> override is kept in the stores: JSON with web naming, nulls left out.</summary>
internal static class QueuePolicyJson
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    public static string Write(QueuePolicy policy) => JsonSerializer.Serialize(policy, Options);

    public static QueuePolicy Read(string json) => JsonSerializer.Deserialize<QueuePolicy>(json, Options) ?? new QueuePolicy();
}
