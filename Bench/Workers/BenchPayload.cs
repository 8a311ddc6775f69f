using System.Text.Json;
using System.Text.Json.Serialization;

namespace OrleansJobs.Bench.Workers;

/// <summary>
/// The job every system under test runs, with the same fields BullMQ's worker reads
/// (Bench/peers/bullmq/bench.js): when it was enqueued, which run it belongs to, and how it behaves.
/// </summary>
/// <param name="T">Enqueue time, unix microseconds, taken by the producer just before its call.</param>
/// <param name="R">The run (scenario and tenant) the job belongs to: start latencies are reported per run.</param>
/// <param name="F">1: the first attempt fails, the retry succeeds.</param>
/// <param name="P">1: every attempt fails (poison); the job must end in the dead-letter queue.</param>
/// <param name="C">Iterations of a CPU-bound loop the handler spins (0: a no-op).</param>
public sealed record BenchPayload(
    [property: JsonPropertyName("t")] long T,
    [property: JsonPropertyName("r")] int R,
    [property: JsonPropertyName("f")] int F,
    [property: JsonPropertyName("p")] int P,
    [property: JsonPropertyName("c")] int C)
{
    /// <summary>Job <paramref name="n"/> of a load: whether it fails once or always follows the same rule in every system.</summary>
    public static BenchPayload For(LoadShape shape, int n) => new(
        UnixMicros(),
        shape.Tag,
        shape.FailOnceEvery > 0 && n % shape.FailOnceEvery == 0 ? 1 : 0,
        shape.PoisonEvery > 0 && n % shape.PoisonEvery == 1 ? 1 : 0,
        shape.CpuIterations);

    public byte[] ToUtf8() => JsonSerializer.SerializeToUtf8Bytes(this);

    public static long UnixMicros() => (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) / 10;

    /// <summary>A loop the JIT cannot remove, the same arithmetic as the BullMQ worker's; always fully optimized, so calibration and handlers run the same code.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static int Spin(int iterations)
    {
        var x = 0;
        for (var i = 0; i < iterations; i++)
        {
            x = unchecked((x * 31) + i);
        }

        return x;
    }
}

/// <summary>What the jobs of one load look like (shared by every system's producer).</summary>
/// <param name="Tag">The run the jobs are reported under.</param>
/// <param name="FailOnceEvery">Every n-th job fails its first attempt (0: none).</param>
/// <param name="PoisonEvery">Every n-th job (offset 1) fails every attempt (0: none).</param>
/// <param name="CpuIterations">CPU-bound work per job.</param>
public sealed record LoadShape(int Tag, int FailOnceEvery = 0, int PoisonEvery = 0, int CpuIterations = 0)
{
    /// <summary>How many of <paramref name="count"/> jobs are poison: the dead-letter queue must hold exactly these.</summary>
    public int PoisonCount(int count) => PoisonEvery <= 0 ? 0 : Enumerable.Range(0, count).Count(n => n % PoisonEvery == 1);
}
