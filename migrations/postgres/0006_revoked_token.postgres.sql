-- Bearer tokens revoked before they expire (a logout from the web UI), so that every instance on
-- this database refuses them (docs/api.md §3). Rows go once their token would have expired.
CREATE TABLE revoked_token (
    -- SHA-256 of the token, hex: the token itself is not kept.
    token_hash text        PRIMARY KEY,
    expires_at timestamptz NOT NULL
);

CREATE INDEX revoked_token_by_expiry ON revoked_token (expires_at);
