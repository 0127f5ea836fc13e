import FletcherCore

extension SQLitePlanStore: RevocationStore {
    public func revoke(tokenHash: String, until expiry: Timestamp, now: Timestamp) async throws {
        try await writer.run { connection in
            try connection.statement("DELETE FROM revoked_token WHERE expires_at <= ?1")
                .bind(.integer(now.microsecondsSinceEpoch)).run()
            try connection.statement(
                "INSERT INTO revoked_token (token_hash, expires_at) VALUES (?1, ?2) ON CONFLICT (token_hash) DO NOTHING"
            ).bind(.text(tokenHash), .integer(expiry.microsecondsSinceEpoch)).run()
        }
    }

    public func revokedTokens(at now: Timestamp) async throws -> [String: Timestamp] {
        try await reader.run { connection in
            let rows = try connection.statement(
                "SELECT token_hash, expires_at FROM revoked_token WHERE expires_at > ?1"
            ).bind(.integer(now.microsecondsSinceEpoch))
            var revoked: [String: Timestamp] = [:]
            while try rows.step() { revoked[rows.text(0)] = Timestamp(microsecondsSinceEpoch: rows.integer(1)) }
            return revoked
        }
    }
}
