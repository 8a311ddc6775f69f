-- Version 9: ASP.NET Core data-protection keys (antiforgery tokens, sign-in cookies), shared by every
-- host on the store so a request signed on one silo is read on another and after a restart.
CREATE TABLE data_protection_keys (
    name TEXT NOT NULL PRIMARY KEY,
    xml TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
