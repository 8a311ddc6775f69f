-- Version 7: each queue's job counts by state, kept by triggers in the same transaction as every
-- write to jobs, so a queue's levels, its backlog check and the list of queues with work cost
-- O(queues), not O(jobs). SQLite has one writer, so one row per (queue, state) is updated in place.
CREATE TABLE job_counts (
    tenant   TEXT    NOT NULL,
    job_type TEXT    NOT NULL,
    state    INTEGER NOT NULL,
    n        INTEGER NOT NULL,
    PRIMARY KEY (tenant, job_type, state)
) WITHOUT ROWID;

INSERT INTO job_counts (tenant, job_type, state, n)
SELECT tenant, job_type, state, COUNT(*) FROM jobs GROUP BY tenant, job_type, state;

CREATE TRIGGER jobs_count_inserted AFTER INSERT ON jobs
BEGIN
    INSERT INTO job_counts (tenant, job_type, state, n) VALUES (NEW.tenant, NEW.job_type, NEW.state, 1)
    ON CONFLICT (tenant, job_type, state) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER jobs_count_updated AFTER UPDATE OF state ON jobs WHEN OLD.state <> NEW.state
BEGIN
    UPDATE job_counts SET n = n - 1 WHERE tenant = OLD.tenant AND job_type = OLD.job_type AND state = OLD.state;
    INSERT INTO job_counts (tenant, job_type, state, n) VALUES (NEW.tenant, NEW.job_type, NEW.state, 1)
    ON CONFLICT (tenant, job_type, state) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER jobs_count_deleted AFTER DELETE ON jobs
BEGIN
    UPDATE job_counts SET n = n - 1 WHERE tenant = OLD.tenant AND job_type = OLD.job_type AND state = OLD.state;
END;
