using OrleansJobs.Storage;

namespace OrleansJobs.Tests.Storage;

/// <summary>Retention on PostgreSQL walks each state's partial index, never the rows it keeps.</summary>
public sealed class PostgresRetentionTests : IAsyncLifetime
{
    private const string Tenant = "acme";
    private static readonly QueueKey Queue = new(Tenant, "email.send");
    private PostgresStoreOnFreshDatabase _fresh = null!;

    public async Task InitializeAsync() => _fresh = await PostgresStoreOnFreshDatabase.CreateAsync();

    public async Task DisposeAsync() => await _fresh.DisposeAsync();

    private string ConnectionString => _fresh.Database.ConnectionString;

    [Fact]
    public async Task A_sweep_of_succeeded_jobs_reads_only_finished_rows_however_many_dead_letters_are_kept()
    {
        // 50 000 dead letters kept, five succeeded jobs of the same queue made among them, past the cutoff, and
        // 50 000 of another queue that succeeded within the retention (made after the cutoff).
        await PostgresRows.DeadLettersAsync(ConnectionString, Tenant);
        var cutoff = DateTimeOffset.UtcNow.AddMinutes(1);
        await PostgresRows.ExecuteAsync(ConnectionString, """
            INSERT INTO jobs (id, tenant, job_type, state, priority, created_at, run_at, attempt, max_attempts, timeout_ms, started_at, finished_at, payload)
            SELECT (lpad(to_hex(1700000000000 + g * 10000), 12, '0') || '7000' || '8' || lpad(to_hex(1000000 + g), 15, '0'))::uuid,
                   @tenant, 'email.send', 3, 1, now(), now(), 1, 3, 60000, now(), now(), '\x7b7d'::bytea
            FROM generate_series(1, 5) AS g;
            INSERT INTO jobs (id, tenant, job_type, state, priority, created_at, run_at, attempt, max_attempts, timeout_ms, started_at, finished_at, payload)
            SELECT (lpad(to_hex((extract(epoch FROM now()) * 1000)::bigint + 3600000 + g), 12, '0') || '7000' || '8' || lpad(to_hex(g), 15, '0'))::uuid,
                   @tenant, 'webhook.deliver', 3, 1, now(), now(), 1, 3, 60000, now(), now() + interval '1 hour', '\x7b7d'::bytea
            FROM generate_series(1, 50000) AS g;
            ANALYZE jobs;
            """, Tenant);

        // The page reads the queue's five rows, not the 100 000 around them: a handful of buffers.
        var plan = await PlanAsync(Queue, JobState.Succeeded, cutoff);
        Assert.True(plan.Contains("ix_jobs_finished", StringComparison.Ordinal), plan);
        Assert.True(BuffersOfTheWholeQuery(plan) is >= 1 and <= 50, plan);

        Assert.Equal([Queue, new QueueKey(Tenant, "webhook.deliver")], await _fresh.Store.ListRetentionScopesAsync(JobState.Succeeded, default));
        Assert.Equal(5, (await _fresh.Store.DeleteFinishedAsync(Queue, JobState.Succeeded, cutoff, null, 2_000, default)).Deleted);
        Assert.Equal(0, (await _fresh.Store.DeleteFinishedAsync(new QueueKey(Tenant, "webhook.deliver"), JobState.Succeeded, cutoff, null, 2_000, default)).Deleted);
        Assert.Equal([new QueueKey(Tenant, "webhook.deliver")], await _fresh.Store.ListRetentionScopesAsync(JobState.Succeeded, default));
        Assert.Equal(50_000, await _fresh.Store.CountDeadAsync(Tenant, new DeadLetterFilter(), 100_000, default));
    }

    /// <summary>The shared buffers the plan's top node touched, hit or read: the first <c>Buffers:</c> line's sum.</summary>
    private static int BuffersOfTheWholeQuery(string plan)
    {
        var line = plan.Split('\n').First(l => l.TrimStart().StartsWith("Buffers:", StringComparison.Ordinal));
        return System.Text.RegularExpressions.Regex.Matches(line, @"(?:hit|read)=(\d+)").Sum(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>The plan of a retention page's read, as the store runs it.</summary>
    private Task<string> PlanAsync(QueueKey scope, JobState state, DateTimeOffset cutoff) => PostgresRows.ExplainAsync(ConnectionString, command =>
    {
        var doomed = RetentionSql.Doomed(scope, state, (name, value) => command.Parameters.AddWithValue(name.TrimStart('@'), value));
        command.Parameters.AddWithValue("after", Guid.Empty);
        command.Parameters.AddWithValue("below", JobId.MinAt(cutoff).Value);
        command.Parameters.AddWithValue("before", cutoff.UtcDateTime);
        command.Parameters.AddWithValue("limit", 2_000);
        return doomed;
    });
}
