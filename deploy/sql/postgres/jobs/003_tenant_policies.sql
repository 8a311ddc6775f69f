-- Version 3: per-tenant policy overrides (JSON of OrleansJobs.TenantPolicy), set at run time.
CREATE TABLE tenant_policies (
    tenant     text        NOT NULL PRIMARY KEY,
    policy     jsonb       NOT NULL,
    updated_at timestamptz NOT NULL
);
