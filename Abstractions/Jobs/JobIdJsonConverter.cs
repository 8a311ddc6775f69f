using System.Text.Json;
using System.Text.Json.Serialization;

namespace OrleansJobs;

/// <summary>Writes a <see cref="JobId"/> as its text form, and reads only that.</summary>
public sealed class JobIdJsonConverter : JsonConverter<JobId>
{
    /// <inheritdoc />
    public override JobId Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        JobId.TryParse(reader.GetString(), out var id) ? id : throw new JsonException("Expected a job id (a UUID version 7).");

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, JobId value, JsonSerializerOptions options) => writer.WriteStringValue(value.ToString());
}
