using System.Runtime.InteropServices;
using System.Text.Json;

namespace OrleansJobs.Http.Endpoints;

/// <summary>A payload as the caller sent it.</summary>
internal static class RawPayload
{
    /// <summary>
    /// The payload's bytes exactly as they came in the body. Writing the element out again would
    /// replace invalid UTF-8 with U+FFFD and store something the caller never sent; the grid's own
    /// validation refuses it instead, as it does for the .NET client.
    /// </summary>
    public static byte[] Of(JsonElement payload) => JsonMarshal.GetRawUtf8Value(payload).ToArray();
}
