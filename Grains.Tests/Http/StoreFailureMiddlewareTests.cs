using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using OrleansJobs.Http;

namespace OrleansJobs.Tests.Http;

public sealed class StoreFailureMiddlewareTests
{
    /// <summary>Runs the middleware around <paramref name="next"/>; answers the status, Retry-After and body it wrote.</summary>
    private static async Task<(int Status, string? RetryAfter, JsonElement? Body)> RunAsync(RequestDelegate next)
    {
        var context = new DefaultHttpContext { RequestServices = new ServiceCollection().AddLogging().AddOptions().BuildServiceProvider() };
        context.Request.Method = "GET";
        context.Request.Path = "/v1/tenants/acme/queues";
        context.Response.Body = new MemoryStream();
        await new StoreFailureMiddleware(next).InvokeAsync(context);
        context.Response.Body.Position = 0;
        var text = await new StreamReader(context.Response.Body).ReadToEndAsync();
        return (context.Response.StatusCode, context.Response.Headers.RetryAfter.ToString() is { Length: > 0 } r ? r : null,
            text.Length > 0 ? JsonDocument.Parse(text).RootElement : null);
    }

    [Fact]
    public async Task A_store_failure_while_signing_in_or_reading_is_a_503_problem_with_retry_after()
    {
        // What reading a key or a queue list throws when the store is gone, as the store throws it.
        var (status, retryAfter, body) = await RunAsync(_ => throw new InvalidOperationException("reading keys", new SqliteException("unable to open database file", 14)));

        Assert.Equal((503, "5"), (status, retryAfter));
        Assert.Equal("Job store unavailable", body!.Value.GetProperty("title").GetString());
        Assert.Contains("SqliteException", body.Value.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task The_grids_own_unavailability_is_a_503_too()
    {
        var (status, retryAfter, body) = await RunAsync(_ => throw new JobStoreUnavailableException("The job store failed."));

        Assert.Equal((503, "5"), (status, retryAfter));
        Assert.Equal("The job store failed.", body!.Value.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Other_failures_pass_through_untouched()
    {
        await Assert.ThrowsAsync<InvalidOperationException>(() => RunAsync(_ => throw new InvalidOperationException("a bug")));
        await Assert.ThrowsAsync<BadHttpRequestException>(() => RunAsync(_ => throw new BadHttpRequestException("Unexpected end of request content.")));
    }
}
