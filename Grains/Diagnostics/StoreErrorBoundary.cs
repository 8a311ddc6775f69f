using System.Data.Common;
using System.Net.Sockets;

namespace OrleansJobs.Diagnostics;

/// <summary>
/// Keeps the store's own exceptions inside the silo. A grain call (or activation) that fails with one
/// (an Npgsql or SQLite error, a socket dropped mid-query) answers with
/// <see cref="JobStoreUnavailableException"/> instead: every client can deserialize it, and the HTTP
/// API answers it with 503 and Retry-After. The store's types are unknown to an external client,
/// which got <c>CodecNotFoundException</c> in their place, and a 500 with an empty body over HTTP.
/// </summary>
internal sealed class StoreErrorBoundary : IIncomingGrainCallFilter
{
    public async Task Invoke(IIncomingGrainCallContext context)
    {
        try
        {
            await context.Invoke();
        }
        catch (Exception ex) when (IsStoreError(ex))
        {
            throw Unavailable(ex, $"{context.InterfaceName}.{context.MethodName}");
        }
    }

    /// <summary>
    /// Runs a grain's activation with the same boundary: Orleans hands an activation's failure to the
    /// waiting callers as it is, past any call filter.
    /// </summary>
    public static async Task ActivateAsync(Func<Task> activate, string grain)
    {
        try
        {
            await activate();
        }
        catch (Exception ex) when (IsStoreError(ex))
        {
            throw Unavailable(ex, $"the activation of {grain}");
        }
    }

    /// <summary>Whether <paramref name="error"/> came from the store or its connection rather than from the grid's own rules.</summary>
    public static bool IsStoreError(Exception error) => StoreCause(error) is not null;

    /// <summary>The client-safe form of a store failure in <paramref name="operation"/>, naming what failed without the store's types.</summary>
    public static JobStoreUnavailableException Unavailable(Exception error, string operation)
    {
        var cause = StoreCause(error) ?? error;
        var code = cause is DbException { SqlState: { } state } ? $" (SQLSTATE {state})" : "";
        return new($"The job store failed during {operation}: {cause.GetType().Name}{code}: {cause.Message}. Retry later.");
    }

    /// <summary>The store's own exception in <paramref name="error"/> or its inner exceptions; null when there is none, or the grid already said so.</summary>
    private static Exception? StoreCause(Exception error) => error switch
    {
        JobStoreUnavailableException => null,
        DbException or SocketException or IOException => error,
        _ => error.InnerException is { } inner ? StoreCause(inner) : null,
    };
}
