using Microsoft.Extensions.DependencyInjection.Extensions;
using OrleansJobs;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers <see cref="IJobClient"/>.</summary>
public static class JobClientServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="IJobClient"/>. Works wherever an Orleans <c>IGrainFactory</c> is registered:
    /// co-hosted in a silo (<c>UseOrleans</c>) or as an external client (<c>UseOrleansClient</c>).
    /// Calling it again only applies <paramref name="configure"/>.
    /// </summary>
    public static IServiceCollection AddOrleansJobsClient(this IServiceCollection services, Action<JobClientOptions>? configure = null)
    {
        var options = services.AddOptions<JobClientOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IJobClient, JobClient>();
        return services;
    }
}
