using OrleansJobs.Tests.Packaging;

namespace OrleansJobs.Tests.Process;

/// <summary>The producer sample against a real silo, as the README runs it: its own lines, not the client's log.</summary>
public sealed class ProducerSampleTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("orleansjobs-producer-").FullName;

    [Fact]
    public async Task The_producer_prints_what_it_did_without_client_log_lines()
    {
        var (siloPort, gatewayPort) = (SiloProcess.FreePort(), SiloProcess.FreePort());
        await using var silo = await SiloProcess.StartAsync(Path.Combine(_folder, "jobs.db"), siloPort, gatewayPort);
        var producer = Path.Combine(SiloProcess.RepositoryRoot, "Samples", "Producer", "bin", new DirectoryInfo(SiloProcess.SiloFolder).Parent!.Name, "net10.0", "OrleansJobs.Samples.Producer.dll");

        var run = await DotnetCommand.RunAsync(_folder, TimeSpan.FromMinutes(2), producer, "2", gatewayPort.ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Contains("Enqueued 4 jobs and one delayed job", run.Output);
        Assert.Contains("Refused as expected", run.Output);
        Assert.DoesNotMatch(@"(?m)^(info|dbug|trce):", run.Output);
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }
}
