/// Bearer tokens revoked before they expire (a logout), kept in the database so that every
/// instance on it refuses them. A revocation is forgotten once its token would have expired anyway.
public protocol RevocationStore: Sendable {
    /// Records the token with this hash as revoked until `expiry`, and forgets the revocations of
    /// tokens expired by `now`.
    func revoke(tokenHash: String, until expiry: Timestamp, now: Timestamp) async throws

    /// Every token revoked and not yet expired at `now`: its hash, and when it expires.
    func revokedTokens(at now: Timestamp) async throws -> [String: Timestamp]
}
