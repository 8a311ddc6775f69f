-- Version 7: each queue's job counts by state, kept in the same transaction as every write to jobs,
-- so a queue's levels, its backlog check and the list of queues with work cost O(queues), not
-- O(jobs). Statement triggers append one delta row per (queue, state) a statement changed; rows are
-- never updated in place, so concurrent flushes of one queue never wait on each other's counters.
-- Readers sum a queue's rows; the queue's owner folds them into one row per state now and then.
CREATE TABLE job_counts (
    tenant   text     NOT NULL,
    job_type text     NOT NULL,
    state    smallint NOT NULL,
    n        bigint   NOT NULL
);
CREATE INDEX ix_job_counts_queue ON job_counts (tenant, job_type, state);

CREATE FUNCTION job_counts_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO job_counts (tenant, job_type, state, n)
    SELECT tenant, job_type, state, COUNT(*) FROM new_rows GROUP BY tenant, job_type, state;
    RETURN NULL;
END $$;

CREATE FUNCTION job_counts_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Updates that keep the state (a lease renewal, an error note) net to nothing and add no row.
    INSERT INTO job_counts (tenant, job_type, state, n)
    SELECT tenant, job_type, state, SUM(n) FROM (
        SELECT tenant, job_type, state, 1::bigint AS n FROM new_rows
        UNION ALL
        SELECT tenant, job_type, state, -1::bigint FROM old_rows) AS moved
    GROUP BY tenant, job_type, state
    HAVING SUM(n) <> 0;
    RETURN NULL;
END $$;

CREATE FUNCTION job_counts_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO job_counts (tenant, job_type, state, n)
    SELECT tenant, job_type, state, -COUNT(*) FROM old_rows GROUP BY tenant, job_type, state;
    RETURN NULL;
END $$;

-- The triggers come before the seed: creating them locks out writers, so the seed's snapshot and
-- the first delta meet exactly.
CREATE TRIGGER jobs_count_inserted AFTER INSERT ON jobs
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION job_counts_inserted();
CREATE TRIGGER jobs_count_updated AFTER UPDATE ON jobs
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION job_counts_updated();
CREATE TRIGGER jobs_count_deleted AFTER DELETE ON jobs
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION job_counts_deleted();

INSERT INTO job_counts (tenant, job_type, state, n)
SELECT tenant, job_type, state, COUNT(*) FROM jobs GROUP BY tenant, job_type, state;
