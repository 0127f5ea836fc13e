-- Bearer tokens revoked before they expire (a logout from the web UI), so that every process on
-- this database refuses them (docs/api.md §3). Rows go once their token would have expired.
CREATE TABLE revoked_token (
    -- SHA-256 of the token, hex: the token itself is not kept.
    token_hash TEXT    NOT NULL PRIMARY KEY,
    -- Microseconds since the Unix epoch.
    expires_at INTEGER NOT NULL
) STRICT;

CREATE INDEX revoked_token_by_expiry ON revoked_token (expires_at);
