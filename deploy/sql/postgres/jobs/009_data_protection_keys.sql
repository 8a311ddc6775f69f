-- Version 9: ASP.NET Core data-protection keys (antiforgery tokens, sign-in cookies), shared by every
-- silo of the cluster so a request signed on one silo is read on another and after a restart.
CREATE TABLE data_protection_keys (
    name text NOT NULL PRIMARY KEY,
    xml text NOT NULL,
    created_at timestamptz NOT NULL
);
