-- Version 18: a failed attempt's row keeps when its handler started and what came of the job (the state
-- the attempt moved it to: 0 to run again, 4 cancelled, 5 dead), so a job's page shows each attempt's
-- start, duration and outcome. Rows written before stay without them.
ALTER TABLE job_errors ADD COLUMN started_at INTEGER NULL;
ALTER TABLE job_errors ADD COLUMN next_state INTEGER NULL;
