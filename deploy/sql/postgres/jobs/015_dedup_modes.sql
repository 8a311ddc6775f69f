-- Version 15: an idempotency key remembers how it folds enqueues: 0 idempotent (held while its job
-- waits or runs and for its retention after), 1 throttle (held for its window from the first enqueue,
-- whatever the job's state), 2 debounce (held while its job is scheduled; an enqueue meanwhile
-- replaces the job's payload and pushes its run-at back). Keys made before this version are idempotent.
ALTER TABLE job_idempotency_keys ADD COLUMN mode smallint NOT NULL DEFAULT 0;
