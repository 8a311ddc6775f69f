namespace OrleansJobs.Bench.Scenarios;

/// <summary>
/// One system's drain run: <see cref="Jobs"/> no-op jobs enqueued, then all processed.
/// Enqueue rate is jobs ÷ the producers' wall time; processing rate is jobs ÷ (last finish − first
/// start) as the store recorded them; end to end runs from the first enqueue to the last finish.
/// </summary>
internal sealed record DrainResult(
    string System,
    string Setup,
    int Jobs,
    double EnqueueSeconds,
    double EnqueuePerSecond,
    double ProcessPerSecond,
    double EndToEndSeconds,
    long? PeakRssBytes,
    IReadOnlyDictionary<string, string> Settings);
