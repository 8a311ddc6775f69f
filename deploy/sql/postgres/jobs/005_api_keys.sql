-- Version 5: HTTP API keys. Only a SHA-256 hash of each key's secret is kept; the key itself is
-- shown once, when it is made. A key belongs to one tenant (producer or operator) or to none (admin).
CREATE TABLE api_keys (
    id          text        NOT NULL PRIMARY KEY,
    tenant      text,
    role        smallint    NOT NULL,
    name        text        NOT NULL,
    secret_hash bytea       NOT NULL,
    created_at  timestamptz NOT NULL,
    revoked_at  timestamptz
);
