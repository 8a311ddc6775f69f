-- OrleansJobs jobs schema for SQLite, version 1. Applied once by the store at start-up; never edit a
-- shipped migration: add the next number instead. Times are Unix milliseconds; ids are 16
-- big-endian bytes, so their byte order is time order. Each partial index holds only rows in the
-- state it serves, so finished jobs cost the hot queries nothing.
CREATE TABLE jobs (
    id               BLOB    NOT NULL PRIMARY KEY,
    tenant           TEXT    NOT NULL,
    job_type         TEXT    NOT NULL,
    state            INTEGER NOT NULL,
    priority         INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    run_at           INTEGER NOT NULL,
    attempt          INTEGER NOT NULL DEFAULT 0,
    max_attempts     INTEGER NOT NULL,
    timeout_ms       INTEGER NOT NULL,
    lease            INTEGER NOT NULL DEFAULT 0,
    lease_owner      TEXT,
    lease_expires_at INTEGER,
    started_at       INTEGER,
    finished_at      INTEGER,
    last_error       TEXT,
    idempotency_key  TEXT,
    replay_count     INTEGER NOT NULL DEFAULT 0,
    last_replayed_at INTEGER,
    payload          BLOB    NOT NULL
);
CREATE INDEX ix_jobs_ready     ON jobs (tenant, job_type, priority, run_at, id) WHERE state = 1;
CREATE INDEX ix_jobs_scheduled ON jobs (tenant, job_type, run_at) WHERE state = 0;
CREATE INDEX ix_jobs_active    ON jobs (tenant, job_type, lease_expires_at) WHERE state = 2;
CREATE INDEX ix_jobs_dead      ON jobs (tenant, id) WHERE state = 5;

CREATE TABLE job_idempotency_keys (
    tenant     TEXT    NOT NULL,
    key        TEXT    NOT NULL,
    job_id     BLOB    NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (tenant, key)
) WITHOUT ROWID;

CREATE TABLE job_errors (
    job_id      BLOB    NOT NULL,
    lease       INTEGER NOT NULL,
    attempt     INTEGER NOT NULL,
    failed_at   INTEGER NOT NULL,
    silo        TEXT    NOT NULL,
    error_type  TEXT    NOT NULL,
    message     TEXT    NOT NULL,
    stack_trace TEXT,
    PRIMARY KEY (job_id, lease)
) WITHOUT ROWID;
