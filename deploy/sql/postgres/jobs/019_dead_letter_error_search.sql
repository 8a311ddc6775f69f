-- Version 19: the dead letters' error-text filter (the dead-letter list, the jobs search, bulk replays and
-- deletes) is served by a trigram index over their last error, so a rare error among millions of dead
-- letters costs O(matches), not a walk of every dead letter. Only dead letters enter it: a job enters it
-- once, when it is dead-lettered, and nothing on the way there pays for it.
-- pg_trgm ships with PostgreSQL and is a trusted extension, so a role that may create objects in the
-- database may install it. Where it cannot be installed (a managed server without it, a role without
-- that right), the filter still works by reading the dead letters in order, and nothing else changes; a
-- DBA can add the index later:
--   CREATE EXTENSION pg_trgm;
--   CREATE INDEX ix_jobs_dead_error ON jobs USING gin (last_error gin_trgm_ops) WHERE state = 5;
-- On a large existing table the build reads the whole table and holds writes to jobs until it ends; to
-- keep writing meanwhile, build it beforehand with CREATE INDEX CONCURRENTLY (same name and definition)
-- and this script keeps it.
DO $$
DECLARE
    trgm_schema name;
BEGIN
    BEGIN
        CREATE EXTENSION IF NOT EXISTS pg_trgm;
    EXCEPTION WHEN OTHERS THEN
        RAISE NOTICE 'pg_trgm is not available (%): the dead letters'' error filter reads them in order', SQLERRM;
    END;

    -- The operator class lives in whichever schema the extension was installed into.
    SELECT n.nspname INTO trgm_schema
    FROM pg_opclass c
    JOIN pg_namespace n ON n.oid = c.opcnamespace
    JOIN pg_am a ON a.oid = c.opcmethod
    WHERE c.opcname = 'gin_trgm_ops' AND a.amname = 'gin'
    LIMIT 1;

    IF trgm_schema IS NOT NULL THEN
        EXECUTE format('CREATE INDEX IF NOT EXISTS ix_jobs_dead_error ON jobs USING gin (last_error %I.gin_trgm_ops) WHERE state = 5', trgm_schema);
    END IF;
END
$$;
