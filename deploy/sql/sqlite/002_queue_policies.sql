-- Version 2: per-queue policy overrides (JSON of OrleansJobs.QueuePolicy), set at run time.
CREATE TABLE queue_policies (
    tenant     TEXT    NOT NULL,
    job_type   TEXT    NOT NULL,
    policy     TEXT    NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (tenant, job_type)
) WITHOUT ROWID;
