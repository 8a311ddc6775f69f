using Microsoft.Data.Sqlite;

namespace OrleansJobs.Tests.Process;

/// <summary>Reads a silo's SQLite file from the test process, which is how the tests see the truth after a crash.</summary>
internal sealed class StoreProbe(string path)
{
    private string ConnectionString => new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString();

    /// <summary>State, attempt and times of each of the tenant's jobs.</summary>
    public Dictionary<JobId, StoredJob> Jobs(string tenant)
    {
        using var db = new SqliteConnection(ConnectionString);
        db.Open();
        using var command = db.CreateCommand();
        command.CommandText = "SELECT id, state, attempt, run_at, started_at FROM jobs WHERE tenant = @tenant;";
        command.Parameters.AddWithValue("@tenant", tenant);
        var jobs = new Dictionary<JobId, StoredJob>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            jobs[JobId.FromBytes((byte[])reader.GetValue(0))] = new StoredJob(
                (JobState)reader.GetInt32(1),
                reader.GetInt32(2),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3)),
                reader.IsDBNull(4) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(4)));
        }

        return jobs;
    }

    public int Count(string tenant, JobState state) => Jobs(tenant).Values.Count(j => j.State == state);

    /// <summary>Re-reads the store until <paramref name="condition"/> holds: a condition to await, not a fixed sleep.</summary>
    public async Task WaitForAsync(Func<StoreProbe, bool> condition, string what, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition(this))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out after {timeout} waiting for: {what}");
            }

            await Task.Delay(100);
        }
    }
}

internal sealed record StoredJob(JobState State, int Attempt, DateTimeOffset RunAt, DateTimeOffset? StartedAt);
