using System.Text.Json;

namespace OrleansJobs.Storage;

/// <summary>
/// How policy overrides (<see cref="QueuePolicy"/>, <see cref="TenantPolicy"/>) and schedule
/// definitions (<see cref="RecurringJob"/>) are kept in the stores: JSON with web naming, nulls left out.
/// </summary>
internal static class StoredJson
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    public static string Write<T>(T value) => JsonSerializer.Serialize(value, Options);

    public static T Read<T>(string json)
        where T : new() => JsonSerializer.Deserialize<T>(json, Options) ?? new T();

    public static RecurringJob ReadSchedule(string json) =>
        JsonSerializer.Deserialize<RecurringJob>(json, Options) ?? throw new InvalidDataException("A stored schedule definition is empty.");
}
