import Crypto
import FletcherCore
import Foundation
import ServiceLifecycle
import Synchronization

/// Tokens revoked by a logout (`docs/api.md` §3), checked from memory on every authenticated
/// request. The database's list holds every instance's logouts and is read again every second,
/// so a logout on one instance holds on all of them within about a second (on this one at once).
final class TokenRevocations: Service, Sendable {
    static let refreshInterval = Duration.seconds(1)

    private let store: any RevocationStore
    private let clock: any WallClock
    /// Hash → when the token expires. Entries go only once expired, so a refresh never undoes a
    /// revocation it read too early to see.
    private let revoked = Mutex<[String: Timestamp]>([:])

    init(store: any RevocationStore, clock: any WallClock = SystemWallClock()) {
        self.store = store
        self.clock = clock
    }

    /// SHA-256 of the token, hex: what the database keeps instead of the token.
    static func hash(_ token: String) -> String {
        SHA256.hash(data: Array(token.utf8)).hex
    }

    func isRevoked(_ token: String) -> Bool {
        guard !revoked.withLock({ $0.isEmpty }) else { return false }
        let hash = Self.hash(token)
        return revoked.withLock { $0[hash] != nil }
    }

    /// Revokes the token on every instance, through the database; here at once once recorded
    /// (when the database cannot record it, nothing changed and the caller may try again).
    func revoke(_ token: String, until expiry: Timestamp) async throws {
        let hash = Self.hash(token)
        try await store.revoke(tokenHash: hash, until: expiry, now: clock.now())
        revoked.withLock { $0[hash] = expiry }
    }

    /// Adds the database's revocations, drops the expired ones.
    func refresh() async throws {
        let now = clock.now()
        let stored = try await store.revokedTokens(at: now)
        revoked.withLock { known in
            known.merge(stored) { local, _ in local }
            known = known.filter { $0.value > now }
        }
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                // While the database is unavailable the list stays as it was; the next round retries.
                try? await self.refresh()
                try? await Task.sleep(for: Self.refreshInterval)
            }
        }
    }
}
