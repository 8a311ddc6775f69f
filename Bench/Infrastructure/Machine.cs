using System.Runtime.InteropServices;

namespace OrleansJobs.Bench.Infrastructure;

/// <summary>What the figures were measured on.</summary>
internal sealed record Machine(int Cores, long MemoryBytes, string Os, string Cpu, string Runtime)
{
    public static Machine Read() => new(
        Environment.ProcessorCount,
        MemTotal(),
        RuntimeInformation.OSDescription,
        File.Exists("/proc/cpuinfo") ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "?" : "?",
        RuntimeInformation.FrameworkDescription);

    private static long MemTotal()
    {
        var line = File.Exists("/proc/meminfo") ? File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal)) : null;
        return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
    }
}
