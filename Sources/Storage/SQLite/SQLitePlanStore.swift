import FletcherCore
import FletcherMigrations
import Foundation

/// The embedded store: one SQLite file (or memory), one writer, readers beside it in WAL mode.
///
/// Writes take `BEGIN IMMEDIATE`, which serializes every command (SQLite has one writer), so
/// per-dataset serializability holds trivially. Reads use a second connection and never wait
/// for writes.
public final class SQLitePlanStore: PlanStore {
    let writer: SQLiteDatabase
    let reader: SQLiteDatabase

    /// Opens (creating if needed) the database at `path`; `":memory:"` gives a private in-memory
    /// database. Fails with a clear error when the file is not an SQLite database.
    public static func open(path: String) async throws -> SQLitePlanStore {
        let isMemory = path == ":memory:"
        let writer = try await SQLiteDatabase.open(path: path, label: "writer")
        try await writer.run { connection in
            // Durable before the response: FULL syncs the WAL on every commit.
            try connection.execute(
                "PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL")
            if !isMemory { try connection.execute("PRAGMA journal_mode = WAL") }
        }
        // A private memory database exists only on its one connection.
        let reader = isMemory ? writer : try await SQLiteDatabase.open(path: path, label: "reader")
        if !isMemory {
            try await reader.run { try $0.execute("PRAGMA busy_timeout = 5000; PRAGMA query_only = ON") }
        }
        return SQLitePlanStore(writer: writer, reader: reader)
    }

    private init(writer: SQLiteDatabase, reader: SQLiteDatabase) {
        self.writer = writer
        self.reader = reader
    }

    /// Applies missing migrations; returns the ones applied now.
    @discardableResult
    public func migrate() async throws -> [Migration] {
        try await writer.run { try SQLiteMigrator.migrate($0) }
    }

    /// Migrations this build has that the database lacks (empty when ready to serve).
    public func pendingMigrations() async throws -> [Migration] {
        try await writer.run { try SQLiteMigrator.pendingMigrations($0) }
    }

    public func withLockedDataset<T: Sendable>(
        _ datasetID: UUID, _ body: @escaping @Sendable (any PlanTransaction) throws -> T
    ) async throws -> T {
        try await writer.run { connection in
            try connection.transaction(immediate: true) {
                try body(SQLitePlanTransaction(connection, datasetID: datasetID))
            }
        }
    }

    public func storedPlan(_ datasetID: UUID) async throws -> PlanState? {
        try await reader.run { connection in
            try connection.transaction(immediate: false) {
                let row = try connection.statement("SELECT version FROM dataset WHERE id = ?").bind(
                    SQLiteRows.text(datasetID))
                guard try row.step() else { return nil }
                let version = row.integer(0)
                return try SQLitePlanReads.plan(datasetID, on: connection).map { PlanState(plan: $0, version: version) }
            }
        }
    }

    public func version(of datasetID: UUID) async throws -> Int64? {
        try await reader.run { connection in
            let row = try connection.statement("SELECT version FROM dataset WHERE id = ?").bind(
                SQLiteRows.text(datasetID))
            return try row.step() ? row.integer(0) : nil
        }
    }

    public func dataProduct(_ datasetID: UUID, _ dataProductID: UUID) async throws -> DataProduct? {
        try await reader.run { try SQLitePlanReads.dataProduct(datasetID, dataProductID, on: $0) }
    }

    public func pendingMigrationCount() async throws -> Int {
        try await pendingMigrations().count
    }

    public func search(_ term: String, state: State?, page: Int) async throws -> SearchPage {
        try await reader.run { try SQLitePlanReads.search(term, state: state, page: page, on: $0) }
    }
}
