-- Version 14: a job may name a partition key, under which its queue's per-key limits (in-flight,
-- rate, circuit breaker) count it. The partial index serves the queue's turn-taking across keys: it
-- finds each key's first due jobs by jumping from key to key, so a key with a deep backlog costs a
-- read nothing. Only keyed due jobs are in it: queues without partitions pay nothing for it. The
-- ready index ends with the key too, so it still covers a ready page.
ALTER TABLE jobs ADD COLUMN partition_key TEXT;
CREATE INDEX ix_jobs_ready_partition ON jobs (tenant, job_type, partition_key, priority, run_at, id)
    WHERE state = 1 AND partition_key IS NOT NULL;
DROP INDEX ix_jobs_ready;
CREATE INDEX ix_jobs_ready ON jobs (tenant, job_type, priority, run_at, id, partition_key) WHERE state = 1;
