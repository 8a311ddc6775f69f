-- Version 17: per-minute history of every queue, for the overview's charts and its list of queues
-- that miss their wait objective. Each silo adds its counts of the last seconds to the minute's row
-- (one statement for all its queues, every few seconds) and sets the levels it last sampled. Rows
-- older than the history retention are deleted by the retention sweep, by minute.
CREATE TABLE queue_minutes (
    tenant TEXT NOT NULL,
    job_type TEXT NOT NULL,
    minute INTEGER NOT NULL,          -- Unix milliseconds of the minute's start
    enqueued INTEGER NOT NULL DEFAULT 0,
    succeeded INTEGER NOT NULL DEFAULT 0,
    failed INTEGER NOT NULL DEFAULT 0,
    dead_lettered INTEGER NOT NULL DEFAULT 0,
    backlog INTEGER NULL,              -- due jobs waiting, as last sampled in the minute
    oldest_wait_ms INTEGER NULL,       -- how long the oldest due job had waited, as last sampled
    PRIMARY KEY (tenant, minute, job_type)
) WITHOUT ROWID;
CREATE INDEX ix_queue_minutes_minute ON queue_minutes (minute);
