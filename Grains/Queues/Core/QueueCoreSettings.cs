using OrleansJobs.Policies;

namespace OrleansJobs.Queues.Core;

/// <summary>What a queue core is built with and never changes while the activation lives.</summary>
/// <param name="Owner">The silo that leases the queue's attempts, as leases and attempt errors name it.</param>
/// <param name="WindowSize">Most due jobs held in memory.</param>
/// <param name="LeaseMargin">How long past its timeout an attempt's lease lasts.</param>
/// <param name="MinDueCheckInterval">Least time between two promotions of due jobs.</param>
/// <param name="PermitFreshFor">How long a tenant's grant may be used without renewing it.</param>
/// <param name="StoreRetryDelay">How long to wait before trying a failed promotion or permit exchange again.</param>
/// <param name="Retry">The job type's retry policy.</param>
/// <param name="IsRetryable">Whether a handler's error may be retried.</param>
internal sealed record QueueCoreSettings(
    string Owner,
    int WindowSize,
    TimeSpan LeaseMargin,
    TimeSpan MinDueCheckInterval,
    TimeSpan PermitFreshFor,
    TimeSpan StoreRetryDelay,
    RetryPolicy Retry,
    Func<Exception, bool> IsRetryable);
