import FletcherCore

extension PostgresPlanStore: RevocationStore {
    public func revoke(tokenHash: String, until expiry: Timestamp, now: Timestamp) async throws {
        _ = try await pool.query(
            "DELETE FROM revoked_token WHERE expires_at <= \(PostgresRows.timestamp("$1::bigint"))",
            [String(now.microsecondsSinceEpoch)])
        _ = try await pool.query(
            """
            INSERT INTO revoked_token (token_hash, expires_at) VALUES ($1, \(PostgresRows.timestamp("$2::bigint")))
            ON CONFLICT (token_hash) DO NOTHING
            """, [tokenHash, String(expiry.microsecondsSinceEpoch)])
    }

    public func revokedTokens(at now: Timestamp) async throws -> [String: Timestamp] {
        let rows = try await pool.query(
            """
            SELECT token_hash, \(PostgresRows.micros("expires_at")) FROM revoked_token
            WHERE expires_at > \(PostgresRows.timestamp("$1::bigint"))
            """, [String(now.microsecondsSinceEpoch)]
        ).rows
        var revoked: [String: Timestamp] = [:]
        for row in rows {
            guard let hash = row[0] else { continue }
            revoked[hash] = try PostgresRows.timestamp(row[1])
        }
        return revoked
    }
}
