using OrleansJobs.Bench.Workers;

namespace OrleansJobs.Bench.Systems;

/// <summary>
/// One system under test, started with its workers: it takes loads from its own kind of producer,
/// says how much it has finished, and when stopped hands over every handler start its workers saw.
/// </summary>
internal interface IJobSystem : IAsyncDisposable
{
    /// <summary>"orleansjobs", "hangfire", "bullmq".</summary>
    string Name { get; }

    /// <summary>The deployment, e.g. "1 silo" or "2 workers".</summary>
    string Setup { get; }

    /// <summary>Everything that decides its speed and durability, as the report prints it.</summary>
    IReadOnlyDictionary<string, string> Settings { get; }

    /// <summary>The connection string of the PostgreSQL database it keeps its jobs in; null on another store.</summary>
    string? Postgres { get; }

    /// <summary>The most jobs one client call may carry (1 where the client has no bulk enqueue).</summary>
    int MaxBatch { get; }

    Task<LoadResult> ProduceAsync(Load load);

    /// <summary>Jobs finished since start (succeeded or dead-lettered) and how many of them are dead.</summary>
    Task<Progress> ProgressAsync();

    /// <summary>Resident memory and GC heap of the worker processes together.</summary>
    (long Resident, long Heap) Memory();

    /// <summary>Stops the workers and returns the handler starts they recorded.</summary>
    Task<StartLog> StopAsync();
}

/// <summary>
/// <paramref name="Count"/> jobs of <paramref name="Shape"/>, <paramref name="Batch"/> per client
/// call, spread round-robin over <paramref name="Queues"/>: as fast as <paramref name="Producers"/>
/// calls in flight allow, or open-loop at <paramref name="Rate"/> jobs/s.
/// </summary>
internal sealed record Load(int Count, int Batch, double? Rate, int Producers, string[] Queues, LoadShape Shape);

/// <summary>How long a load took to send and how long each client call took.</summary>
internal sealed record LoadResult(double Seconds, double[] CallLatenciesMs);

internal readonly record struct Progress(long Finished, long Dead);
