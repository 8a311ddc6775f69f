using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using OrleansJobs.Handlers;

namespace OrleansJobs.Hosting;

/// <summary>
/// Adds handlers and chooses the job store; returned by <c>AddOrleansJobs</c>. The stores come in
/// their own packages: <c>UseSqliteStore</c> (OrleansJobs.Sqlite) and <c>UsePostgres</c>
/// (OrleansJobs.PostgreSql).
/// </summary>
public sealed class OrleansJobsBuilder
{
    internal OrleansJobsBuilder(ISiloBuilder silo) => Silo = silo;

    /// <summary>The silo being configured.</summary>
    public ISiloBuilder Silo { get; }

    /// <summary>The silo's services.</summary>
    public IServiceCollection Services => Silo.Services;

    /// <summary>
    /// Runs jobs of type <paramref name="jobType"/> with <typeparamref name="THandler"/>, resolved
    /// from a DI scope per attempt. The name must match <c>^[a-z0-9][a-z0-9_.-]{0,62}$</c>.
    /// </summary>
    public OrleansJobsBuilder AddJobHandler<TPayload, THandler>(string jobType, Action<JobTypeOptions>? configure = null)
        where THandler : class, IJobHandler<TPayload>
    {
        JobValidator.ValidateName(jobType, nameof(jobType));
        Services.TryAddScoped<THandler>();
        Services.AddSingleton(new JobHandlerDescriptor(jobType, typeof(TPayload), typeof(THandler), configure, JobTypeRegistration.CreateInvoker<TPayload, THandler>()));
        return this;
    }
}
