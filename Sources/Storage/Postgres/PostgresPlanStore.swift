import FletcherCore
import FletcherMigrations
import Foundation
import ServiceLifecycle

/// The production store: PostgreSQL through libpq, safe for several Fletcher instances on one
/// database. Every mutation locks its dataset for the length of one short transaction.
public final class PostgresPlanStore: PlanStore {
    let pool: PGPool
    let administration: PGAdministration
    let notifier = CommitNotifier()
    let writes: PostgresWriteQueue

    /// Connects with any URI or `key=value` string psql accepts; fails when the database does not
    /// answer.
    /// `acquireTimeout`: how long a call waits for a free connection before `StoreUnavailable`.
    public static func open(
        conninfo: String, maxConnections: Int, acquireTimeout: Duration = .seconds(5)
    ) async throws -> PostgresPlanStore {
        let store = PostgresPlanStore(
            conninfo: conninfo, maxConnections: maxConnections, acquireTimeout: acquireTimeout)
        do {
            _ = try await store.pool.query("SELECT 1")
        } catch {
            store.close()
            throw error
        }
        return store
    }

    private init(conninfo: String, maxConnections: Int, acquireTimeout: Duration) {
        pool = PGPool(conninfo: conninfo, size: maxConnections, acquireTimeout: acquireTimeout)
        writes = PostgresWriteQueue(pool: pool, connections: maxConnections, notifier: notifier)
        administration = PGAdministration(conninfo: conninfo)
    }

    /// Stops the store's loop threads and closes its connections at once; calls in flight fail.
    /// (Run as a `Service`, the store closes gracefully instead.)
    public func close() {
        pool.shutdown()
    }

    @discardableResult
    public func migrate() async throws -> [Migration] {
        try await administration.withConnection { try PostgresMigrator.migrate($0) }
    }

    public func pendingMigrations() async throws -> [Migration] {
        try await administration.withConnection { try PostgresMigrator.pendingMigrations($0) }
    }

    /// Concurrent calls on distinct datasets may share one transaction (`PostgresWriteQueue`).
    public func withLockedDataset<T: Sendable>(
        _ datasetID: UUID, _ body: @escaping @Sendable (any PlanTransaction) throws -> T
    ) async throws -> T {
        try await writes.write(datasetID, body)
    }

    public func storedPlan(_ datasetID: UUID) async throws -> PlanState? {
        try await PostgresPlanReads.storedPlan(datasetID, in: pool)
    }

    public func version(of datasetID: UUID) async throws -> Int64? {
        try await pool.query("SELECT version FROM dataset WHERE id = $1::uuid", [datasetID.lowercasedString])
            .first.flatMap { $0[0] }.flatMap(Int64.init)
    }

    public func dataProduct(_ datasetID: UUID, _ dataProductID: UUID) async throws -> DataProduct? {
        try await PostgresPlanReads.dataProduct(datasetID, dataProductID, in: pool)
    }

    public func search(_ term: String, state: State?, page: Int) async throws -> SearchPage {
        try await PostgresPlanReads.search(term, state: state, page: page, in: pool)
    }

    /// The change log and its relay (`PostgresChanges`) deliver every instance's changes.
    public var deliversChanges: Bool { true }

    public func pendingMigrationCount() async throws -> Int {
        try await pendingMigrations().count
    }
}

extension PostgresPlanStore {
    /// Sends `payload` to every listener of `channel` on this database, in every instance.
    public func notify(channel: String, payload: String) async throws {
        _ = try await pool.query("SELECT pg_notify($1, $2)", [channel, payload])
    }

    /// A listener on this store's database (a connection of its own, outside the pool).
    public func listen(channel: String) -> PGListener {
        PGListener(conninfo: pool.conninfo, channel: channel, loop: pool.listenerLoop)
    }
}

extension PostgresPlanStore: Service {
    /// Keeps the store open until graceful shutdown; then it refuses new calls with
    /// `StoreUnavailable`, lets the ones holding a connection finish, and closes. In a service
    /// group it belongs before the services that use it, which then stop first.
    public func run() async throws {
        try await pool.run()
    }
}
