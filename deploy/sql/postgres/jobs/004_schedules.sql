-- Version 4: recurring jobs. The definition is JSON of OrleansJobs.RecurringJob; the owner grain
-- moves next_fire_at forward after each occurrence it enqueues.
CREATE TABLE schedules (
    tenant          text        NOT NULL,
    id              text        NOT NULL,
    definition      jsonb       NOT NULL,
    next_fire_at    timestamptz,
    last_occurrence timestamptz,
    last_job_id     uuid,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    PRIMARY KEY (tenant, id)
);
