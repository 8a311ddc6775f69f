using System.Runtime.ExceptionServices;
using Orleans.Runtime;
using Orleans.Runtime.Messaging;

namespace OrleansJobs;

/// <summary>
/// Sends an enqueue again when it failed in a way that leaves open whether it was stored: it timed
/// out, reached a silo that is leaving, was rejected, or lost its gateway connection. Every try
/// carries the job ids the client chose before the first, so a try that finds its job already
/// stored answers with that job instead of storing a second one. Tries back off with jitter, and
/// stop once <see cref="JobClientOptions.EnqueueRetryFor"/> has passed since the first.
/// </summary>
/// <param name="options">The retry time.</param>
/// <param name="time">The clock the retry time is measured on.</param>
/// <param name="wait">Waits between tries; a timer on <paramref name="time"/> unless a test passes its own.</param>
internal sealed class EnqueueRetry(JobClientOptions options, TimeProvider time, Func<TimeSpan, CancellationToken, Task>? wait = null)
{
    private static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(2);

    private readonly Func<TimeSpan, CancellationToken, Task> _wait = wait ?? ((delay, cancel) => Task.Delay(delay, time, cancel));

    /// <summary>Whether the call may have reached the queue or not: sending it again with the same ids is safe and may succeed.</summary>
    public static bool IsTransient(Exception error) => error is TimeoutException
        or SiloUnavailableException
        or OrleansMessageRejectionException
        or ConnectionFailedException
        or GatewayTooBusyException;

    /// <summary>Sends until an answer, an error that is not transient, cancellation, or the retry time is up.</summary>
    /// <param name="send">Sends the submissions; every call sends the same ones.</param>
    /// <param name="ids">The ids chosen for the submissions, for the error when the time is up.</param>
    /// <param name="cancellationToken">Stops waiting, and trying.</param>
    public async Task<T> RunAsync<T>(Func<Task<T>> send, IReadOnlyList<JobId> ids, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var delay = FirstDelay;
        for (var tries = 1; ; tries++)
        {
            try
            {
                return await send().WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception error) when (IsTransient(error) && !cancellationToken.IsCancellationRequested)
            {
                // Half to all of the delay, so producers that failed together do not come back together.
                var pause = delay * (0.5 + (Random.Shared.NextDouble() / 2));
                var elapsed = time.GetElapsedTime(started);
                if (elapsed + pause > options.EnqueueRetryFor)
                {
                    if (tries == 1)
                    {
                        ExceptionDispatchInfo.Throw(error);
                    }

                    throw new EnqueueOutcomeUnknownException(
                        $"The enqueue failed {tries} times in {elapsed.TotalSeconds:F1} s, the last with {error.GetType().Name}: {error.Message}. " +
                        $"Its {ids.Count} job(s) may or may not be stored, never twice; look them up by their ids.", ids, error);
                }

                await _wait(pause, cancellationToken).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxDelay.Ticks));
            }
        }
    }
}
