-- Version 12: a paused schedule enqueues nothing until resumed; the occurrences it skips meanwhile
-- are not made up, so it needs no next occurrence while paused.
ALTER TABLE schedules ADD COLUMN paused_at INTEGER;
