import FletcherCore
import FletcherMigrations
import Foundation

/// The production store: PostgreSQL through libpq, safe for several Fletcher instances on one
/// database. Every mutation locks its dataset for the length of one short transaction.
public final class PostgresPlanStore: PlanStore {
    let pool: PGPool
    let notifier = CommitNotifier()
    /// Serialization failures and deadlocks are retried this many times before a client sees one.
    private static let attempts = 5

    /// Connects with any URI or `key=value` string psql accepts; fails when the database does not
    /// answer.
    public static func open(conninfo: String, maxConnections: Int) async throws -> PostgresPlanStore {
        let store = PostgresPlanStore(pool: PGPool(conninfo: conninfo, size: maxConnections))
        _ = try await store.pool.withConnection { try $0.query("SELECT 1") }
        return store
    }

    private init(pool: PGPool) {
        self.pool = pool
    }

    @discardableResult
    public func migrate() async throws -> [Migration] {
        try await pool.withConnection { try PostgresMigrator.migrate($0) }
    }

    public func pendingMigrations() async throws -> [Migration] {
        try await pool.withConnection { try PostgresMigrator.pendingMigrations($0) }
    }

    public func withLockedDataset<T: Sendable>(
        _ datasetID: UUID, _ body: @escaping @Sendable (any PlanTransaction) throws -> T
    ) async throws -> T {
        let notifier = notifier
        return try await pool.withConnection { connection in
            var attempt = 1
            while true {
                try connection.execute("BEGIN")
                do {
                    let transaction = try PostgresPlanTransaction(connection, datasetID: datasetID)
                    let result = try body(transaction)
                    try connection.execute("COMMIT")
                    notifier.committed(change: transaction.wroteChange, dispatch: transaction.wroteDispatchWork)
                    return result
                } catch let error as PGError where error.isRetryable && attempt < Self.attempts {
                    try? connection.execute("ROLLBACK")
                    attempt += 1
                } catch {
                    try? connection.execute("ROLLBACK")
                    throw error
                }
            }
        }
    }

    public func plan(_ datasetID: UUID) async throws -> Plan? {
        try await pool.withConnection { connection in
            // One snapshot for the three queries, so a plan is never read half-changed.
            try connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            defer { try? connection.execute("COMMIT") }
            return try PostgresPlanReads.plan(datasetID, on: connection)
        }
    }

    public func version(of datasetID: UUID) async throws -> Int64? {
        try await pool.withConnection { connection in
            try connection.query("SELECT version FROM dataset WHERE id = $1::uuid", [datasetID.lowercasedString])
                .first.flatMap { $0[0] }.flatMap(Int64.init)
        }
    }

    public func dataProduct(_ datasetID: UUID, _ dataProductID: UUID) async throws -> DataProduct? {
        try await pool.withConnection { try PostgresPlanReads.dataProduct(datasetID, dataProductID, on: $0) }
    }

    public func search(_ term: String, page: Int) async throws -> SearchPage {
        try await pool.withConnection { try PostgresPlanReads.search(term, page: page, on: $0) }
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
        _ = try await pool.withConnection { try $0.query("SELECT pg_notify($1, $2)", [channel, payload]) }
    }

    /// A listener on this store's database (a connection of its own, outside the pool).
    public func listen(channel: String) -> PGListener {
        PGListener(conninfo: pool.conninfo, channel: channel)
    }
}
