import FletcherCore
import Foundation
import Synchronization
import Testing

@testable import FletcherServer

/// A token verified once is remembered (`Authenticator`): the memory must not outlive the token's
/// expiry, and a logout still ends it.
@Suite("Remembered tokens")
struct TokenCheckTests {
    @Test func aRememberedTokenIsRefusedOnceExpiredAndOnceRevoked() async throws {
        let store = RecordedRevocations()
        let authenticator = await Authenticator(
            services: [.hashing(service: "ops", key: "k3y", roles: [.update], cost: 4)],
            secret: Array(repeating: 7, count: 32), revocations: TokenRevocations(store: store))
        let issued = Date()
        let token = try await authenticator.logIn(service: "ops", key: "k3y", now: issued).accessToken
        let header = "Bearer \(token)"

        // Verified, then answered from memory: the same caller both times.
        #expect(await authenticator.identify(authorization: header, now: issued) == .service("ops"))
        #expect(await authenticator.identify(authorization: header, now: issued + 60) == .service("ops"))
        // Past its expiry the remembered token counts for nothing.
        let expired = await authenticator.identify(authorization: header, now: issued + 3_601)
        #expect(expired == .invalid("the token has expired or was not issued by Fletcher"))
        // A tampered copy is checked afresh, not matched against the remembered one.
        let parts = token.split(separator: ".")
        let signature = try #require(parts.last)
        let forged = (signature.first == "A" ? "B" : "A") + signature.dropFirst()
        let tampered = "Bearer \(parts.dropLast().joined(separator: ".")).\(forged)"
        #expect(
            await authenticator.identify(authorization: tampered, now: issued + 60)
                == .invalid("the token is malformed or its signature does not verify"))
        // Revoked while remembered.
        try await authenticator.revoke(token)
        #expect(
            await authenticator.identify(authorization: header, now: issued + 60)
                == .invalid("the token was ended by a logout"))
    }
}

/// Revocations kept in memory: the database's part is tested with the stores.
private final class RecordedRevocations: RevocationStore {
    private let revoked = Mutex<[String: Timestamp]>([:])

    func revoke(tokenHash: String, until expiry: Timestamp, now: Timestamp) async throws {
        revoked.withLock { $0[tokenHash] = expiry }
    }

    func revokedTokens(at now: Timestamp) async throws -> [String: Timestamp] {
        revoked.withLock { $0 }
    }
}
