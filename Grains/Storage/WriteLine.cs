namespace OrleansJobs.Storage;

/// <summary>Which of the group commit's lines a write waits in (see <see cref="JobWriteBatcher"/>).</summary>
internal enum WriteLine
{
    /// <summary>Busy queues' writes, batched.</summary>
    Main,

    /// <summary>Quiet queues' small writes, committed at once beside the others.</summary>
    Express,

    /// <summary>Writes of many rows at once (bulk enqueues, leases of large pages), a few flushes at a time.</summary>
    Bulk,
}
