using Npgsql;
using NpgsqlTypes;

namespace OrleansJobs.Storage.Postgres;

/// <summary>
/// The writes that end an attempt, each guarded by its lease: a completion, a reschedule that does
/// not count, and a failure (retry, dead letter or cancellation). Each records when and where the
/// handler ran in place of the lease's, when that is known.
/// </summary>
internal sealed partial class PostgresJobStore
{
    private static NpgsqlBatchCommand CompleteCommand(List<Completion> completions)
    {
        var command = new NpgsqlBatchCommand(
            """
            UPDATE jobs AS j SET state = 3, finished_at = r.finished, lease_expires_at = NULL,
                started_at = COALESCE(r.started, j.started_at), lease_owner = COALESCE(r.silo, j.lease_owner)
            FROM unnest(@ids, @leases, @finished, @started, @silos) AS r(id, lease, finished, started, silo)
            WHERE j.id = r.id AND j.lease = r.lease AND j.state + 0 = 2
            RETURNING j.id, j.lease;
            """);
        command.Parameters.Add(Array("ids", completions.Select(c => c.Id.Value), NpgsqlDbType.Uuid));
        command.Parameters.Add(Array("leases", completions.Select(c => c.Lease), NpgsqlDbType.Bigint));
        command.Parameters.Add(Array("finished", completions.Select(c => Utc(c.FinishedAt)), NpgsqlDbType.TimestampTz));
        AddRan(command, completions.Select(c => c.Ran), "silos");
        return command;
    }

    /// <summary>The attempt's count goes back to what it was before it, so the next lease gives the same number.</summary>
    private static NpgsqlBatchCommand SnoozeCommand(List<Snooze> snoozes)
    {
        var command = new NpgsqlBatchCommand(
            """
            UPDATE jobs AS j SET state = 0, run_at = r.run, attempt = j.attempt - 1, lease_expires_at = NULL,
                started_at = COALESCE(r.started, j.started_at), lease_owner = COALESCE(r.silo, j.lease_owner)
            FROM unnest(@ids, @leases, @run, @started, @silos) AS r(id, lease, run, started, silo)
            WHERE j.id = r.id AND j.lease = r.lease AND j.state + 0 = 2
            RETURNING j.id, j.lease;
            """);
        command.Parameters.Add(Array("ids", snoozes.Select(z => z.Id.Value), NpgsqlDbType.Uuid));
        command.Parameters.Add(Array("leases", snoozes.Select(z => z.Lease), NpgsqlDbType.Bigint));
        command.Parameters.Add(Array("run", snoozes.Select(z => Utc(z.RunAt)), NpgsqlDbType.TimestampTz));
        AddRan(command, snoozes.Select(z => z.Ran), "silos");
        return command;
    }

    /// <summary>An attempt that ended without success: a retry, a dead letter or a cancellation.</summary>
    private readonly record struct Failure(JobId Id, long Lease, AttemptError Error, JobState Next, DateTimeOffset At, AttemptRan? Ran);

    private static NpgsqlBatchCommand FailCommand(List<Failure> failures)
    {
        // A retry moves run_at to the next attempt's time; a dead letter or a cancellation records when it ended.
        // The error row is written only where the guarded update took effect.
        var command = new NpgsqlBatchCommand(
            """
            WITH r AS (
                SELECT * FROM unnest(@ids, @leases, @states, @at, @attempts, @failed, @silos, @types, @messages, @stacks, @started, @ran_on)
                    AS r(id, lease, next_state, at, attempt, failed_at, silo, error_type, message, stack_trace, started, ran_on)),
            changed AS (
                UPDATE jobs AS j SET state = r.next_state, last_error = r.message, lease_expires_at = NULL,
                    started_at = COALESCE(r.started, j.started_at), lease_owner = COALESCE(r.ran_on, j.lease_owner),
                    run_at = CASE WHEN r.next_state = 0 THEN r.at ELSE j.run_at END,
                    finished_at = CASE WHEN r.next_state IN (4, 5) THEN r.at ELSE j.finished_at END
                FROM r WHERE j.id = r.id AND j.lease = r.lease AND j.state + 0 = 2
                RETURNING j.id, j.lease)
            INSERT INTO job_errors (job_id, lease, attempt, failed_at, silo, error_type, message, stack_trace, started_at, next_state)
            SELECT r.id, r.lease, r.attempt, r.failed_at, r.silo, r.error_type, r.message, r.stack_trace, r.started, r.next_state
            FROM r JOIN changed ON changed.id = r.id AND changed.lease = r.lease
            ON CONFLICT (job_id, lease) DO NOTHING
            RETURNING job_id, lease;
            """);
        command.Parameters.Add(Array("ids", failures.Select(f => f.Id.Value), NpgsqlDbType.Uuid));
        command.Parameters.Add(Array("leases", failures.Select(f => f.Lease), NpgsqlDbType.Bigint));
        command.Parameters.Add(Array("states", failures.Select(f => (short)f.Next), NpgsqlDbType.Smallint));
        command.Parameters.Add(Array("at", failures.Select(f => Utc(f.At)), NpgsqlDbType.TimestampTz));
        command.Parameters.Add(Array("attempts", failures.Select(f => f.Error.Attempt), NpgsqlDbType.Integer));
        command.Parameters.Add(Array("failed", failures.Select(f => Utc(f.Error.FailedAt)), NpgsqlDbType.TimestampTz));
        command.Parameters.Add(Array("silos", failures.Select(f => f.Error.Silo), NpgsqlDbType.Text));
        command.Parameters.Add(Array("types", failures.Select(f => f.Error.ErrorType), NpgsqlDbType.Text));
        command.Parameters.Add(Array("messages", failures.Select(f => f.Error.Message), NpgsqlDbType.Text));
        command.Parameters.Add(Array("stacks", failures.Select(f => f.Error.StackTrace), NpgsqlDbType.Text));
        AddRan(command, failures.Select(f => f.Ran), "ran_on");
        return command;
    }

    /// <summary>
    /// The handler's start (<c>@started</c>) and silo (<paramref name="silosName"/>) per row; null
    /// where it never started, which the statements read as "keep the lease's".
    /// </summary>
    private static void AddRan(NpgsqlBatchCommand command, IEnumerable<AttemptRan?> ran, string silosName)
    {
        var rows = ran.ToList();
        command.Parameters.Add(Array("started", rows.Select(r => r is { } run ? Utc(run.StartedAt) : (DateTime?)null), NpgsqlDbType.TimestampTz));
        command.Parameters.Add(Array(silosName, rows.Select(r => r?.Silo), NpgsqlDbType.Text));
    }
}
