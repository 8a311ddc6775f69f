-- Version 2: per-queue policy overrides (JSON of OrleansJobs.QueuePolicy), set at run time.
CREATE TABLE queue_policies (
    tenant     text        NOT NULL,
    job_type   text        NOT NULL,
    policy     jsonb       NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (tenant, job_type)
);
