using Microsoft.Data.Sqlite;

namespace OrleansJobs.Storage.Sqlite;

/// <summary>
/// The writes that end an attempt, each guarded by its lease: a completion, a reschedule that does
/// not count, and a failure (retry, dead letter or cancellation). Each records when and where the
/// handler ran in place of the lease's, when that is known.
/// </summary>
internal sealed partial class SqliteJobStore
{
    private static bool[] Complete(SqliteConnection db, List<Completion> completions) =>
        UpdateEach(db, completions, """
            UPDATE jobs SET state = 3, finished_at = @finished, lease_expires_at = NULL,
                started_at = COALESCE(@started, started_at), lease_owner = COALESCE(@silo, lease_owner)
            WHERE id = @id AND lease = @lease AND state = 2;
            """,
            ["@id", "@lease", "@finished", "@started", "@silo"],
            c => [c.Id.ToBytes(), c.Lease, Ms(c.FinishedAt), StartedMs(c.Ran), c.Ran?.Silo]);

    /// <summary>The attempt's count goes back to what it was before it, so the next lease gives the same number.</summary>
    private static bool[] Snooze(SqliteConnection db, List<Snooze> snoozes) =>
        UpdateEach(db, snoozes, """
            UPDATE jobs SET state = 0, run_at = @run, attempt = attempt - 1, lease_expires_at = NULL,
                started_at = COALESCE(@started, started_at), lease_owner = COALESCE(@silo, lease_owner)
            WHERE id = @id AND lease = @lease AND state = 2;
            """,
            ["@id", "@lease", "@run", "@started", "@silo"],
            z => [z.Id.ToBytes(), z.Lease, Ms(z.RunAt), StartedMs(z.Ran), z.Ran?.Silo]);

    private static bool[] Fail(SqliteConnection db, List<(JobId Id, long Lease, AttemptError Error, JobState Next, DateTimeOffset At, AttemptRan? Ran)> failures)
    {
        var done = new bool[failures.Count];
        if (failures.Count == 0)
        {
            return done;
        }

        // A retry moves run_at to the next attempt's time; a dead letter or a cancellation records when it ended.
        using var update = Command(db, """
            UPDATE jobs SET state = @state, last_error = @message, lease_expires_at = NULL,
                run_at = CASE WHEN @state = 0 THEN @at ELSE run_at END,
                finished_at = CASE WHEN @state IN (4, 5) THEN @at ELSE finished_at END,
                started_at = COALESCE(@started, started_at), lease_owner = COALESCE(@silo, lease_owner)
            WHERE id = @id AND lease = @lease AND state = 2;
            """, "@id", "@lease", "@state", "@message", "@at", "@started", "@silo");
        using var error = Command(db, """
            INSERT OR REPLACE INTO job_errors (job_id, lease, attempt, failed_at, silo, error_type, message, stack_trace, started_at, next_state)
            VALUES (@id, @lease, @attempt, @failed, @silo, @type, @message, @stack, @started, @next);
            """, "@id", "@lease", "@attempt", "@failed", "@silo", "@type", "@message", "@stack", "@started", "@next");
        for (var i = 0; i < failures.Count; i++)
        {
            var (id, lease, e, next, at, ran) = failures[i];
            var idBytes = id.ToBytes();
            Bind(update, idBytes, lease, (int)next, e.Message, Ms(at), StartedMs(ran), ran?.Silo);
            done[i] = update.ExecuteNonQuery() == 1;
            if (done[i])
            {
                Bind(error, idBytes, lease, e.Attempt, Ms(e.FailedAt), e.Silo, e.ErrorType, e.Message, e.StackTrace, StartedMs(ran), (int)next);
                error.ExecuteNonQuery();
            }
        }

        return done;
    }

    /// <summary>Runs one lease-guarded update per row; answers, row for row, whether it took effect.</summary>
    private static bool[] UpdateEach<T>(SqliteConnection db, List<T> rows, string sql, string[] parameterNames, Func<T, object?[]> values)
    {
        var done = new bool[rows.Count];
        if (rows.Count == 0)
        {
            return done;
        }

        using var command = Command(db, sql, parameterNames);
        for (var i = 0; i < rows.Count; i++)
        {
            Bind(command, values(rows[i]));
            done[i] = command.ExecuteNonQuery() == 1;
        }

        return done;
    }

    /// <summary>When the handler started, or null where it never did: the statements then keep the lease's.</summary>
    private static long? StartedMs(AttemptRan? ran) => ran is { } run ? Ms(run.StartedAt) : null;
}
