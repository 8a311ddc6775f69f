namespace OrleansJobs.Storage;

/// <summary>
/// Each queue's history a minute at a time: what silos counted (enqueued, succeeded, failed, dead-lettered)
/// and the levels they last sampled (backlog, oldest wait). Written by every silo's
/// <see cref="Diagnostics.QueueHistoryRecorder"/>, read by the overview page, trimmed by retention.
/// A part of <see cref="IJobStore"/>.
/// </summary>
internal interface IHistoryStore
{
    /// <summary>
    /// Adds each row's counts to its queue's minute (creating the minute when it is the first) and sets the
    /// minute's levels to the row's where the row has them. One round trip for the whole batch.
    /// </summary>
    Task RecordMinutesAsync(IReadOnlyList<QueueMinute> minutes, CancellationToken cancellationToken);

    /// <summary>
    /// The history from <see cref="HistoryQuery.From"/> on, of one tenant or all: the counts and levels summed
    /// over queues minute by minute, and each queue's sums with its last levels (see <see cref="QueueHistory"/>).
    /// Costs O(rows in the window); the window is an hour at most on the pages.
    /// </summary>
    Task<QueueHistory> ReadHistoryAsync(HistoryQuery query, CancellationToken cancellationToken);

    /// <summary>Deletes up to <paramref name="limit"/> minutes older than <paramref name="before"/>; returns how many went.</summary>
    Task<int> DeleteMinutesAsync(DateTimeOffset before, int limit, CancellationToken cancellationToken);
}
