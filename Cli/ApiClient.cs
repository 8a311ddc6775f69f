using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace OrleansJobs.Cli;

/// <summary>The grid's HTTP API for the CLI: JSON in and out, and a problem answer turned into a readable error.</summary>
internal sealed class ApiClient(Uri baseAddress, string? key) : IDisposable
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        WriteIndented = true,
    };

    private readonly HttpClient _http = Create(baseAddress, key);

    public async Task<T> GetAsync<T>(string path, CancellationToken cancellationToken) =>
        await ReadAsync<T>(await _http.GetAsync(path, cancellationToken), cancellationToken);

    public async Task<T> PostAsync<T>(string path, object? body, CancellationToken cancellationToken) =>
        await ReadAsync<T>(await _http.PostAsJsonAsync(path, body, Json, cancellationToken), cancellationToken);

    public void Dispose() => _http.Dispose();

    private static HttpClient Create(Uri baseAddress, string? key)
    {
        var http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
        if (!string.IsNullOrEmpty(key))
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return http;
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            var message = $"{(int)response.StatusCode} {response.ReasonPhrase}";
            try
            {
                using var problem = JsonDocument.Parse(text);
                var root = problem.RootElement;
                message += Part(root, "title", ": ") + Part(root, "detail", " — ") + Part(root, "field", " (field ", ")");
            }
            catch (JsonException)
            {
            }

            throw new ApiException(message);
        }

        return (await response.Content.ReadFromJsonAsync<T>(Json, cancellationToken))!;
    }

    private static string Part(JsonElement root, string name, string before, string after = "") =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? before + value.GetString() + after : "";
}

/// <summary>The API refused a request; the message says why.</summary>
internal sealed class ApiException(string message) : Exception(message);
