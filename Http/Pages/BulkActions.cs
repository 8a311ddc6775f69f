using System.Collections.Concurrent;
using System.ComponentModel;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OrleansJobs.Diagnostics;

namespace OrleansJobs.Http.Pages;

/// <summary>
/// Bulk replays and deletes of dead letters, run in the background a chunk at a time so a person can follow
/// them on a progress page and stop them. Each action covers the dead letters that matched when it was asked
/// for: its filter ends at that time, so a replayed job that dies again is not taken a second time.
/// Held in this process only: a host that stops ends its actions where they were (run again, the filter
/// picks up what is left). The last <see cref="Kept"/> actions are kept for their pages.
/// </summary>
internal sealed partial class BulkActions(IHostApplicationLifetime lifetime, TimeProvider time, ILogger<BulkActions> logger)
{
    /// <summary>Dead letters one step takes.</summary>
    public const int Chunk = 1_000;

    /// <summary>Actions kept for their pages; the oldest finished ones go first.</summary>
    private const int Kept = 100;

    private readonly ConcurrentDictionary<Guid, BulkAction> _actions = new();

    /// <summary>
    /// Starts an action over <paramref name="expected"/> dead letters (as counted), calling <paramref name="step"/> with
    /// the filter and chunk size until a step takes fewer than the chunk, the action is stopped, or the host stops.
    /// </summary>
    public BulkAction Start(string tenant, string kind, DeadLetterFilter filter, int expected, string by, Func<DeadLetterFilter, int, CancellationToken, Task<int>> step)
    {
        var now = time.GetUtcNow();
        var bounded = filter with { To = filter.To is { } to && to < now ? to : now };
        var action = new BulkAction(Guid.NewGuid(), tenant, kind, bounded, expected, by, now);
        Trim();
        _actions[action.Id] = action;
        _ = Task.Run(() => RunAsync(action, step));
        return action;
    }

    public BulkAction? Find(Guid id) => _actions.TryGetValue(id, out var action) ? action : null;

    private async Task RunAsync(BulkAction action, Func<DeadLetterFilter, int, CancellationToken, Task<int>> step)
    {
        try
        {
            while (!action.StopAsked && !lifetime.ApplicationStopping.IsCancellationRequested)
            {
                // A chunk under way is not cut short by a stop (its count would be lost), only by the host stopping.
                var taken = await step(action.Filter, Chunk, lifetime.ApplicationStopping);
                action.Add(taken);
                if (taken < Chunk)
                {
                    action.End(BulkActionState.Done, null, time.GetUtcNow());
                    LogEnded(action.Kind, action.Done, action.Tenant, action.By, "done");
                    return;
                }
            }

            action.End(BulkActionState.Stopped, null, time.GetUtcNow());
            LogEnded(action.Kind, action.Done, action.Tenant, action.By, "stopped");
        }
        catch (OperationCanceledException) when (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            action.End(BulkActionState.Stopped, null, time.GetUtcNow());
            LogEnded(action.Kind, action.Done, action.Tenant, action.By, "stopped");
        }
        catch (Exception ex)
        {
            action.End(BulkActionState.Failed, ex.Message, time.GetUtcNow());
            LogFailed(ex, action.Kind, action.Done, action.Tenant, action.By);
        }
    }

    private void Trim()
    {
        foreach (var old in _actions.Values.Where(a => a.State != BulkActionState.Running).OrderBy(a => a.StartedAt).Take(Math.Max(0, _actions.Count - Kept + 1)))
        {
            _actions.TryRemove(old.Id, out _);
        }
    }

    [LoggerMessage(EventId = (int)LogEvents.BulkActionEnded, Level = LogLevel.Information, Message = "Bulk {Kind} of tenant {Tenant} by key {KeyId} {Outcome} after {Count} dead letter(s)")]
    private partial void LogEnded(string kind, int count, string tenant, string keyId, string outcome);

    [LoggerMessage(EventId = (int)LogEvents.BulkActionFailed, Level = LogLevel.Warning, Message = "Bulk {Kind} of tenant {Tenant} by key {KeyId} failed after {Count} dead letter(s)")]
    private partial void LogFailed(Exception error, string kind, int count, string tenant, string keyId);
}

/// <summary>Where a bulk action stands.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public enum BulkActionState
{
    /// <summary>Taking chunks.</summary>
    Running,

    /// <summary>Took every dead letter that matched.</summary>
    Done,

    /// <summary>A person stopped it, or its host stopped.</summary>
    Stopped,

    /// <summary>A chunk failed; <see cref="BulkAction.Error"/> says why. What was done stays done.</summary>
    Failed,
}

/// <summary>One bulk replay or delete and its progress. Public only because Razor components are.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class BulkAction
{
    private int _done;
    private int _state;
    private bool _stopAsked;

    internal BulkAction(Guid id, string tenant, string kind, DeadLetterFilter filter, int expected, string by, DateTimeOffset startedAt)
    {
        Id = id;
        Tenant = tenant;
        Kind = kind;
        Filter = filter;
        Expected = expected;
        By = by;
        StartedAt = startedAt;
    }

    public Guid Id { get; }

    public string Tenant { get; }

    /// <summary>replay or delete.</summary>
    public string Kind { get; }

    /// <summary>The dead letters it takes: the filter asked for, ending when the action started.</summary>
    public DeadLetterFilter Filter { get; }

    /// <summary>How many matched when it was asked for (counted up to a limit).</summary>
    public int Expected { get; }

    /// <summary>The key that started it.</summary>
    public string By { get; }

    public DateTimeOffset StartedAt { get; }

    public DateTimeOffset? EndedAt { get; private set; }

    public BulkActionState State
    {
        get => (BulkActionState)Volatile.Read(ref _state);
        private set => Volatile.Write(ref _state, (int)value);
    }

    public string? Error { get; private set; }

    /// <summary>Dead letters taken so far.</summary>
    public int Done => Volatile.Read(ref _done);

    /// <summary>Whether a person asked it to stop.</summary>
    internal bool StopAsked => Volatile.Read(ref _stopAsked);

    internal void Add(int count) => Interlocked.Add(ref _done, count);

    internal void End(BulkActionState state, string? error, DateTimeOffset at)
    {
        Error = error;
        EndedAt = at;
        State = state;
    }

    /// <summary>Asks it to stop after the chunk under way.</summary>
    internal void Stop() => Volatile.Write(ref _stopAsked, true);

    /// <summary>
    /// Where it stands now, read once, so a page drawn from it is consistent (a page that reads the live action
    /// twice could say it is done and still reload itself as if it ran). The state is read first: once it says
    /// ended, the count is final.
    /// </summary>
    public BulkProgress Snapshot()
    {
        var state = State;
        return new BulkProgress(Id, Tenant, Kind, Filter, Expected, By, StartedAt, EndedAt, state, Error, Done);
    }
}

/// <summary>A bulk action as it stood at one moment, for its page.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed record BulkProgress(
    Guid Id,
    string Tenant,
    string Kind,
    DeadLetterFilter Filter,
    int Expected,
    string By,
    DateTimeOffset StartedAt,
    DateTimeOffset? EndedAt,
    BulkActionState State,
    string? Error,
    int Done);
