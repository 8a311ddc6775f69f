-- Version 16: the job explorer lists a queue's succeeded and cancelled jobs newest first, a page at a
-- time, in O(page) at any number of jobs. Only finished rows enter this index (one insert when a job
-- ends); the states before have their own partial indexes.
CREATE INDEX ix_jobs_finished ON jobs (tenant, job_type, id) WHERE state IN (3, 4);
