using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using OrleansJobs.Hosting;
using OrleansJobs.Tests.Process;

namespace OrleansJobs.Tests.Storage;

public interface IStateProbeGrain : IGrainWithStringKey
{
    Task<int> GetAsync();

    Task SetAsync(int value);

    Task ClearAsync();
}

[GenerateSerializer]
public sealed class ProbeState
{
    [Id(0)] public int Value { get; set; }
}

public sealed class StateProbeGrain([PersistentState("probe", PostgresStoreBuilderExtensions.GrainStorageName)] IPersistentState<ProbeState> state) : Grain, IStateProbeGrain
{
    public Task<int> GetAsync() => Task.FromResult(state.State.Value);

    public async Task SetAsync(int value)
    {
        state.State.Value = value;
        await state.WriteStateAsync();
    }

    public Task ClearAsync() => state.ClearStateAsync();
}

/// <summary>Our Orleans SQL (deploy/sql/postgres/orleans) under the real ADO.NET providers, in a silo set up by UsePostgres.</summary>
public sealed class OrleansSchemaTests
{
    private static async Task<IHost> StartSiloAsync(string connectionString)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.UseOrleans(silo =>
        {
            silo.Configure<ClusterOptions>(o => o.ClusterId = o.ServiceId = "schema-test");
            silo.ConfigureEndpoints(IPAddress.Loopback, SiloProcess.FreePort(), SiloProcess.FreePort());
            silo.AddOrleansJobs().UsePostgres(o => o.ConnectionString = connectionString);
        });
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    [Fact]
    public async Task Grain_state_written_through_our_sql_survives_a_silo_restart_and_clears()
    {
        await using var database = await PostgresDatabase.CreateAsync();
        using (var silo = await StartSiloAsync(database.ConnectionString))
        {
            var grain = silo.Services.GetRequiredService<IGrainFactory>().GetGrain<IStateProbeGrain>("a");
            await grain.SetAsync(41);
            await grain.SetAsync(42);
            await silo.StopAsync();
        }

        using (var silo = await StartSiloAsync(database.ConnectionString))
        {
            var grain = silo.Services.GetRequiredService<IGrainFactory>().GetGrain<IStateProbeGrain>("a");
            Assert.Equal(42, await grain.GetAsync());
            Assert.Equal(0, await silo.Services.GetRequiredService<IGrainFactory>().GetGrain<IStateProbeGrain>("b").GetAsync());
            await grain.ClearAsync();
            await grain.SetAsync(7);
            await silo.StopAsync();
        }

        using (var silo = await StartSiloAsync(database.ConnectionString))
        {
            Assert.Equal(7, await silo.Services.GetRequiredService<IGrainFactory>().GetGrain<IStateProbeGrain>("a").GetAsync());
            await silo.StopAsync();
        }
    }
}
