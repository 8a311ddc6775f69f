-- Version 17: per-minute history of every queue, for the overview's charts and its list of queues
-- that miss their wait objective. Each silo adds its counts of the last seconds to the minute's row
-- (one statement for all its queues, every few seconds) and sets the levels it last sampled. Rows
-- older than the history retention are deleted by the retention sweep, by minute.
CREATE TABLE queue_minutes (
    tenant text NOT NULL,
    job_type text NOT NULL,
    minute bigint NOT NULL,            -- Unix milliseconds of the minute's start
    enqueued bigint NOT NULL DEFAULT 0,
    succeeded bigint NOT NULL DEFAULT 0,
    failed bigint NOT NULL DEFAULT 0,
    dead_lettered bigint NOT NULL DEFAULT 0,
    backlog bigint NULL,               -- due jobs waiting, as last sampled in the minute
    oldest_wait_ms bigint NULL,        -- how long the oldest due job had waited, as last sampled
    PRIMARY KEY (tenant, minute, job_type)
);
CREATE INDEX ix_queue_minutes_minute ON queue_minutes (minute);
