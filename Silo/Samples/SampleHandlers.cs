namespace OrleansJobs.Silo.Samples;

/// <summary>Payload of <c>email.send</c>.</summary>
public sealed record SendEmail(string To, string Subject);

/// <summary>Pretends to send an email.</summary>
internal sealed class SendEmailHandler(ILogger<SendEmailHandler> logger) : IJobHandler<SendEmail>
{
    public async Task HandleAsync(SendEmail payload, JobContext context)
    {
        await Task.Delay(TimeSpan.FromMilliseconds(50), context.CancellationToken);
        logger.LogInformation("Sent '{Subject}' to {To} (job {JobId})", payload.Subject, payload.To, context.JobId);
    }
}

/// <summary>Payload of <c>thumbnail.render</c>.</summary>
public sealed record RenderThumbnail(string ImageUrl, int Width);

/// <summary>Pretends to render a thumbnail: a little CPU work.</summary>
internal sealed class RenderThumbnailHandler : IJobHandler<RenderThumbnail>
{
    public Task HandleAsync(RenderThumbnail payload, JobContext context)
    {
        if (payload.Width is < 16 or > 4096)
        {
            throw new NonRetryableJobException($"Width {payload.Width} is outside 16-4096.");
        }

        var hash = 0;
        for (var i = 0; i < payload.Width * 1000; i++)
        {
            hash = HashCode.Combine(hash, i);
        }

        return Task.CompletedTask;
    }
}

/// <summary>Payload of <c>webhook.deliver</c>: fails with probability <see cref="FailureRate"/>.</summary>
public sealed record DeliverWebhook(string Url, double FailureRate = 0.5);

/// <summary>A flaky third party: fails at random, so jobs retry and some end in the dead-letter queue.</summary>
internal sealed class DeliverWebhookHandler : IJobHandler<DeliverWebhook>
{
    public async Task HandleAsync(DeliverWebhook payload, JobContext context)
    {
        await Task.Delay(TimeSpan.FromMilliseconds(20), context.CancellationToken);
        if (Random.Shared.NextDouble() < payload.FailureRate)
        {
            throw new HttpRequestException($"POST {payload.Url} answered 503 (attempt {context.Attempt}).");
        }
    }
}

/// <summary>Payload of <c>demo.sleep</c>.</summary>
public sealed record Sleep(int Milliseconds);

/// <summary>Waits, honouring cancellation: a stand-in for slow I/O.</summary>
internal sealed class SleepHandler : IJobHandler<Sleep>
{
    public Task HandleAsync(Sleep payload, JobContext context) => Task.Delay(payload.Milliseconds, context.CancellationToken);
}

/// <summary>Payload of <c>demo.flaky</c>: fails its first <see cref="FailAttempts"/> attempts, then succeeds.</summary>
public sealed record Flaky(int FailAttempts);

/// <summary>Fails on purpose so retries (seconds apart) can be watched, and tested across silo crashes.</summary>
internal sealed class FlakyHandler : IJobHandler<Flaky>
{
    public Task HandleAsync(Flaky payload, JobContext context) =>
        context.Attempt <= payload.FailAttempts
            ? throw new InvalidOperationException($"Failing attempt {context.Attempt} of {payload.FailAttempts} on purpose.")
            : Task.CompletedTask;
}
