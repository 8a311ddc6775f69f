-- Version 11: a tenant paused by a person keeps accepting jobs in all its queues and starts none
-- until resumed; the pause lives beside the tenant's policy override (an override of '{}' when it
-- has none), so it survives restarts.
ALTER TABLE tenant_policies ADD COLUMN paused_at INTEGER;
