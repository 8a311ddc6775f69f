-- OrleansJobs jobs schema for PostgreSQL, version 1. Applied once, under an advisory lock, by the
-- store at silo start-up; never edit a shipped migration: add the next number instead.
-- Ids are UUID v7, so uuid order is time order. Each partial index holds only rows in the state it
-- serves (1 enqueued, 0 scheduled, 2 active, 5 dead), so finished jobs cost the hot queries nothing
-- and the ready page stays O(page) at millions of rows.
CREATE TABLE jobs (
    id               uuid        NOT NULL PRIMARY KEY,
    tenant           text        NOT NULL,
    job_type         text        NOT NULL,
    state            smallint    NOT NULL,
    priority         smallint    NOT NULL,
    created_at       timestamptz NOT NULL,
    run_at           timestamptz NOT NULL,
    attempt          integer     NOT NULL DEFAULT 0,
    max_attempts     integer     NOT NULL,
    timeout_ms       bigint      NOT NULL,
    lease            bigint      NOT NULL DEFAULT 0,
    lease_owner      text,
    lease_expires_at timestamptz,
    started_at       timestamptz,
    finished_at      timestamptz,
    last_error       text,
    idempotency_key  text,
    replay_count     integer     NOT NULL DEFAULT 0,
    last_replayed_at timestamptz,
    payload          bytea       NOT NULL
);

CREATE INDEX ix_jobs_ready     ON jobs (tenant, job_type, priority, run_at, id) WHERE state = 1;
CREATE INDEX ix_jobs_scheduled ON jobs (tenant, job_type, run_at) WHERE state = 0;
CREATE INDEX ix_jobs_active    ON jobs (tenant, job_type, lease_expires_at) WHERE state = 2;
CREATE INDEX ix_jobs_dead      ON jobs (tenant, id) WHERE state = 5;

CREATE TABLE job_idempotency_keys (
    tenant     text        NOT NULL,
    key        text        NOT NULL,
    job_id     uuid        NOT NULL,
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (tenant, key)
);

CREATE TABLE job_errors (
    job_id      uuid        NOT NULL,
    lease       bigint      NOT NULL,
    attempt     integer     NOT NULL,
    failed_at   timestamptz NOT NULL,
    silo        text        NOT NULL,
    error_type  text        NOT NULL,
    message     text        NOT NULL,
    stack_trace text,
    PRIMARY KEY (job_id, lease)
);
