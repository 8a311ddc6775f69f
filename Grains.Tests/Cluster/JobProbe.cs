using System.Collections.Concurrent;

namespace OrleansJobs.Tests.Cluster;

/// <summary>
/// What the test handlers saw, shared with the tests. Waiting is on signals: every recorded event
/// wakes the waiters, which re-check their condition; nothing sleeps.
/// </summary>
public sealed class JobProbe
{
    private readonly ConcurrentDictionary<JobId, ConcurrentQueue<(int Attempt, DateTimeOffset At)>> _starts = new();
    private readonly ConcurrentDictionary<JobId, int> _successes = new();
    private readonly ConcurrentDictionary<JobId, bool> _healed = new();
    private readonly ConcurrentDictionary<string, int> _inFlight = new();
    private readonly ConcurrentDictionary<string, int> _maxInFlight = new();
    private readonly ConcurrentDictionary<string, int> _tenantSuccesses = new();
    private readonly ConcurrentDictionary<JobId, string> _tenantOf = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _gates = new();
    private readonly Lock _lock = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int TotalSuccesses => _successes.Values.Sum();

    public int Successes(JobId id) => _successes.GetValueOrDefault(id);

    /// <summary>The tenant's jobs that have started at least once.</summary>
    public IReadOnlyList<JobId> JobsOf(string tenant) => [.. _tenantOf.Where(j => j.Value == tenant).Select(j => j.Key)];

    /// <summary>Successful runs of the tenant's jobs, all types together.</summary>
    public int SuccessesOf(string tenant) => _tenantSuccesses.GetValueOrDefault(tenant);

    public IReadOnlyList<(int Attempt, DateTimeOffset At)> Starts(JobId id) => _starts.TryGetValue(id, out var q) ? [.. q] : [];

    public IReadOnlyDictionary<JobId, int> SuccessCounts => _successes;

    /// <summary>The most jobs seen running at once in a queue ("tenant/type") or, given a bare tenant, across its queues.</summary>
    public int MaxInFlight(string queueOrTenant) => _maxInFlight.GetValueOrDefault(queueOrTenant);

    public bool IsHealed(JobId id) => _healed.ContainsKey(id);

    public void Heal(JobId id) => _healed[id] = true;

    /// <summary>Completes once <see cref="Open"/> is called for <paramref name="gate"/>, for handlers that hold their slot until the test lets go.</summary>
    public Task GateAsync(string gate, CancellationToken cancellationToken) => Gate(gate).Task.WaitAsync(cancellationToken);

    public void Open(string gate) => Gate(gate).TrySetResult();

    private TaskCompletionSource Gate(string gate) => _gates.GetOrAdd(gate, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    public void Started(JobContext context, DateTimeOffset at)
    {
        _starts.GetOrAdd(context.JobId, _ => new()).Enqueue((context.Attempt, at));
        _tenantOf[context.JobId] = context.Tenant;
        foreach (var key in new[] { $"{context.Tenant}/{context.JobType}", context.Tenant })
        {
            var now = _inFlight.AddOrUpdate(key, 1, (_, n) => n + 1);
            _maxInFlight.AddOrUpdate(key, now, (_, max) => Math.Max(max, now));
        }

        Signal();
    }

    public void Finished(JobContext context, bool succeeded)
    {
        _inFlight.AddOrUpdate($"{context.Tenant}/{context.JobType}", 0, (_, n) => n - 1);
        _inFlight.AddOrUpdate(context.Tenant, 0, (_, n) => n - 1);
        if (succeeded)
        {
            _successes.AddOrUpdate(context.JobId, 1, (_, n) => n + 1);
            _tenantSuccesses.AddOrUpdate(context.Tenant, 1, (_, n) => n + 1);
        }

        Signal();
    }

    /// <summary>Completes when <paramref name="condition"/> holds; throws with <paramref name="what"/> after <paramref name="timeout"/>.</summary>
    public Task WaitForAsync(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        WaitForAsync(() => Task.FromResult(condition()), what, timeout);

    /// <inheritdoc cref="WaitForAsync(Func{bool}, string, TimeSpan?)"/>
    public async Task WaitForAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            Task changed;
            lock (_lock)
            {
                changed = _changed.Task;
            }

            if (await condition())
            {
                return;
            }

            try
            {
                // Store-side transitions (dead-letter, replay) raise no handler event, so re-check now and then too.
                await changed.WaitAsync(TimeSpan.FromMilliseconds(200), cts.Token);
            }
            catch (TimeoutException)
            {
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"Timed out waiting for: {what}");
            }
        }
    }

    private void Signal()
    {
        TaskCompletionSource done;
        lock (_lock)
        {
            done = _changed;
            _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        done.TrySetResult();
    }
}
