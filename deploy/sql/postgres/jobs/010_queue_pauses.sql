-- Version 10: a queue paused by a person keeps accepting jobs and starts none until resumed; the
-- pause lives beside the queue's policy override (an override of '{}' when it has none), so it
-- survives restarts and the queue moving to another silo.
ALTER TABLE queue_policies ADD COLUMN paused_at timestamptz;
