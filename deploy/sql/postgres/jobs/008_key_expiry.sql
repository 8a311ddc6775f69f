-- Version 8: the retention sweep deletes expired idempotency keys oldest first, a page at a time.
CREATE INDEX ix_job_idempotency_keys_expiry ON job_idempotency_keys (expires_at);
