using System.Collections.Frozen;
using Microsoft.Extensions.Options;
using OrleansJobs.Hosting;

namespace OrleansJobs.Handlers;

/// <summary>The job types this silo can run, by name.</summary>
internal sealed class JobTypeRegistry
{
    private readonly FrozenDictionary<string, JobTypeRegistration> _types;
    private readonly TimeSpan _defaultWaitObjective;

    public JobTypeRegistry(IEnumerable<JobHandlerDescriptor> descriptors, IOptions<OrleansJobsOptions> options)
    {
        var defaults = options.Value;
        var types = new Dictionary<string, JobTypeRegistration>();
        foreach (var descriptor in descriptors)
        {
            if (types.ContainsKey(descriptor.JobType))
            {
                throw new InvalidOperationException($"Job type '{descriptor.JobType}' has more than one handler registered.");
            }

            var typeOptions = new JobTypeOptions();
            descriptor.Configure?.Invoke(typeOptions);
            var registration = new JobTypeRegistration
            {
                JobType = descriptor.JobType,
                Invoke = descriptor.Invoke,
                Defaults = new QueuePolicy
                {
                    MaxAttempts = typeOptions.MaxAttempts ?? defaults.DefaultMaxAttempts,
                    MaxConcurrency = typeOptions.MaxConcurrency ?? defaults.DefaultMaxConcurrency,
                    Timeout = typeOptions.Timeout ?? defaults.DefaultTimeout,
                    RatePerSecond = typeOptions.RatePerSecond,
                    Burst = typeOptions.Burst,
                    MaxBacklog = typeOptions.MaxBacklog,
                    Overflow = typeOptions.Overflow,
                    AdaptiveConcurrency = typeOptions.AdaptiveConcurrency,
                    CircuitBreaker = typeOptions.CircuitBreaker,
                    Partitions = typeOptions.Partitions,
                    PriorityAging = typeOptions.PriorityAging,
                },
                Retry = typeOptions.Retry ?? defaults.DefaultRetry,
                NonRetryable = [.. typeOptions.NonRetryableExceptions],
                WaitObjective = typeOptions.WaitObjective ?? defaults.WaitObjective,
            };
            if (registration.WaitObjective <= TimeSpan.Zero)
            {
                throw new ArgumentException($"Job type '{descriptor.JobType}': WaitObjective must be above zero.");
            }

            try
            {
                JobValidator.ValidatePolicy(registration.Defaults);
            }
            catch (JobValidationException ex)
            {
                throw new ArgumentException($"Job type '{descriptor.JobType}': {ex.Message}", ex);
            }

            registration.Retry.Validate();
            types.Add(descriptor.JobType, registration);
        }

        _types = types.ToFrozenDictionary();
        _defaultWaitObjective = defaults.WaitObjective;
    }

    public bool TryGet(string jobType, out JobTypeRegistration registration) => _types.TryGetValue(jobType, out registration!);

    public IEnumerable<string> JobTypes => _types.Keys;

    /// <summary>The job type's wait objective; the grid's default for a type no handler is registered for here.</summary>
    public TimeSpan WaitObjective(string jobType) => _types.TryGetValue(jobType, out var type) ? type.WaitObjective : _defaultWaitObjective;
}
