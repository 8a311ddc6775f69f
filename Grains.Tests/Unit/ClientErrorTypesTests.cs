using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;

namespace OrleansJobs.Tests.Unit;

/// <summary>
/// The errors a grain call can end with (the grid's own, and the store's after the boundary turns them
/// into <see cref="JobStoreUnavailableException"/>) reach an external client whole: its serializer
/// knows only the client's assemblies.
/// </summary>
public sealed class ClientErrorTypesTests
{
    private static readonly Serializer ClientSerializer = new ServiceCollection()
        .AddSerializer(serializer => serializer.AddAssembly(typeof(JobStoreUnavailableException).Assembly).AddAssembly(typeof(IJobClient).Assembly))
        .BuildServiceProvider()
        .GetRequiredService<Serializer>();

    public static TheoryData<Exception> GridErrors => new()
    {
        new JobStoreUnavailableException("The job store failed during IQueueGrain.GetStatsAsync: PostgresException (SQLSTATE 57P01): terminating connection. Retry later."),
        new QueueFullException("acme/email", 10, TimeSpan.FromSeconds(3)),
        new JobValidationException("options.delay", "negative", "must not be negative."),
        new UnknownJobTypeException("email.send"),
    };

    [Theory]
    [MemberData(nameof(GridErrors))]
    public void A_grid_error_reaches_an_external_client_with_its_type_and_fields(Exception error)
    {
        var copy = ClientSerializer.Deserialize<Exception>(ClientSerializer.SerializeToArray(error))!;

        Assert.Equal(error.GetType(), copy.GetType());
        Assert.Equal(error.Message, copy.Message);
        switch (error)
        {
            case QueueFullException full:
                var fullCopy = (QueueFullException)copy;
                Assert.Equal((full.Queue, full.MaxBacklog, full.RetryAfter), (fullCopy.Queue, fullCopy.MaxBacklog, fullCopy.RetryAfter));
                break;
            case JobValidationException invalid:
                var invalidCopy = (JobValidationException)copy;
                Assert.Equal((invalid.Field, invalid.Code), (invalidCopy.Field, invalidCopy.Code));
                break;
        }
    }

    [Fact]
    public void Every_store_error_type_is_turned_into_one_the_client_knows()
    {
        Assert.True(Diagnostics.StoreErrorBoundary.IsStoreError(new Npgsql.PostgresException("terminating connection", "FATAL", "FATAL", "57P01")));
        Assert.True(Diagnostics.StoreErrorBoundary.IsStoreError(new Microsoft.Data.Sqlite.SqliteException("database is locked", 5)));
        Assert.True(Diagnostics.StoreErrorBoundary.IsStoreError(new InvalidOperationException("wrapped", new IOException("reset"))));
        Assert.False(Diagnostics.StoreErrorBoundary.IsStoreError(new JobStoreUnavailableException("already typed")));
        Assert.False(Diagnostics.StoreErrorBoundary.IsStoreError(new QueueFullException("acme/email", 1, TimeSpan.Zero)));

        var unavailable = Diagnostics.StoreErrorBoundary.Unavailable(new Npgsql.PostgresException("terminating connection", "FATAL", "FATAL", "57P01"), "IQueueGrain.GetStatsAsync");
        Assert.Contains("SQLSTATE 57P01", unavailable.Message);
        Assert.Contains("IQueueGrain.GetStatsAsync", unavailable.Message);
    }
}
