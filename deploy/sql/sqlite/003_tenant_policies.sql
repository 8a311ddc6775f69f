-- Version 3: per-tenant policy overrides (JSON of OrleansJobs.TenantPolicy), set at run time.
CREATE TABLE tenant_policies (
    tenant     TEXT    NOT NULL PRIMARY KEY,
    policy     TEXT    NOT NULL,
    updated_at INTEGER NOT NULL
) WITHOUT ROWID;
