-- Version 5: HTTP API keys. Only a SHA-256 hash of each key's secret is kept; the key itself is
-- shown once, when it is made. A key belongs to one tenant (producer or operator) or to none (admin).
CREATE TABLE api_keys (
    id          TEXT    NOT NULL PRIMARY KEY,
    tenant      TEXT,
    role        INTEGER NOT NULL,
    name        TEXT    NOT NULL,
    secret_hash BLOB    NOT NULL,
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
) WITHOUT ROWID;
