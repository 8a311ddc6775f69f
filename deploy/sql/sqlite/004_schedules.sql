-- Version 4: recurring jobs. The definition is JSON of OrleansJobs.RecurringJob; the owner grain
-- moves next_fire_at forward after each occurrence it enqueues. Times are Unix milliseconds.
CREATE TABLE schedules (
    tenant          TEXT    NOT NULL,
    id              TEXT    NOT NULL,
    definition      TEXT    NOT NULL,
    next_fire_at    INTEGER,
    last_occurrence INTEGER,
    last_job_id     BLOB,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    PRIMARY KEY (tenant, id)
) WITHOUT ROWID;
