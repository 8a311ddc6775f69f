using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using OrleansJobs.Hosting;
using OrleansJobs.Policies;

namespace OrleansJobs.Handlers;

/// <summary>A handler registered for a job type, as the builder records it.</summary>
internal sealed record JobHandlerDescriptor(string JobType, Type PayloadType, Type HandlerType, Action<JobTypeOptions>? Configure, JobHandlerInvoker Invoke);

/// <summary>Deserializes a payload and runs the handler on it in a fresh DI scope.</summary>
internal delegate Task JobHandlerInvoker(IServiceProvider services, byte[] payload, JobContext context, JsonSerializerOptions json);

/// <summary>A job type's handler with its settings resolved against the silo defaults.</summary>
internal sealed class JobTypeRegistration
{
    public required string JobType { get; init; }

    public required JobHandlerInvoker Invoke { get; init; }

    /// <summary>The type's defaults for its queues, every field set except the optional limits (rate, burst, backlog).</summary>
    public required QueuePolicy Defaults { get; init; }

    public required RetryPolicy Retry { get; init; }

    public required IReadOnlyList<Type> NonRetryable { get; init; }

    /// <summary>How long a due job should wait at most before it starts; the overview lists queues past it first.</summary>
    public TimeSpan WaitObjective { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>False for errors that retrying cannot fix: the handler said so, the payload is bad, or the type is listed.</summary>
    public bool IsRetryable(Exception error) =>
        error is Execution.RemoteJobException remote ? remote.Retryable :
        error is not (NonRetryableJobException or JobPayloadException)
        && !NonRetryable.Any(type => type.IsInstanceOfType(error));

    public static JobHandlerInvoker CreateInvoker<TPayload, THandler>()
        where THandler : class, IJobHandler<TPayload> =>
        async (services, payload, context, json) =>
        {
            TPayload value;
            try
            {
                value = JsonSerializer.Deserialize<TPayload>(payload, json)!;
            }
            catch (Exception ex) when (ex is JsonException or NotSupportedException)
            {
                throw new JobPayloadException($"The payload does not deserialize to {typeof(TPayload).Name}: {ex.Message}", ex);
            }

            await using var scope = services.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<THandler>().HandleAsync(value, context);
        };
}
