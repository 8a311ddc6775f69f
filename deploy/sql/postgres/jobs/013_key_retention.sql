-- Version 13: each idempotency key keeps its own retention, counted from its job's end: the silo's
-- IdempotencyRetention, or the job's own (zero: unique only while the job waits or runs). Keys made
-- before this version count the default 24 hours.
ALTER TABLE job_idempotency_keys ADD COLUMN retention_ms bigint NOT NULL DEFAULT 86400000;
