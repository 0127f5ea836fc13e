import Dispatch
import FletcherCore
import Foundation

/// A database of the Rust service Fletcher replaces, read for `fletcher import-upstream`
/// (`docs/operations.md`, "Moving from the Rust service"): tables `dataset`, `data_product` and
/// `dependency` with the same columns as Fletcher's, without `position` or `version`.
///
/// Everything is read in one `REPEATABLE READ READ ONLY` transaction on one connection: the
/// import sees a single snapshot even while the Rust service keeps running, and the server itself
/// refuses any write. A lost connection is not reopened (a new one would be outside the snapshot);
/// the import stops and a second run resumes it.
public final class UpstreamDatabase: @unchecked Sendable {
    // Safety: `connection` is only touched on `queue`.
    private let queue = DispatchQueue(label: "fletcher.import.source")
    private let connection: PGConnection

    private init(connection: PGConnection) {
        self.connection = connection
    }

    /// Connects to `conninfo` and opens the snapshot; refuses a database that is not the Rust
    /// service's (Fletcher's own included), naming what is missing.
    public static func open(conninfo: String) async throws -> UpstreamDatabase {
        let database = try await onQueue { UpstreamDatabase(connection: try PGConnection(conninfo: conninfo)) }
        try await database.run { connection in
            let tables = ["dataset", "data_product", "dependency", "schema_migrations"]
            let found =
                try connection.query(
                    "SELECT " + tables.map { "to_regclass('\($0)') IS NOT NULL" }.joined(separator: ", ")
                ).first?.map { $0 == "t" } ?? []
            if found.count == 4, found[3] {
                throw UpstreamError("it is a Fletcher database (it has schema_migrations), not the Rust service's")
            }
            let missing = zip(tables.prefix(3), found).filter { !$0.1 }.map(\.0)
            guard missing.isEmpty else {
                throw UpstreamError(
                    "not the Rust service's database: no table \(missing.joined(separator: ", ")) on its search path")
            }
            try connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        }
        return database
    }

    /// Every dataset id, in id order.
    public func datasetIDs() async throws -> [UUID] {
        try await run { connection in
            try connection.query("SELECT id FROM dataset ORDER BY id").rows.map { try PostgresRows.uuid($0[0]) }
        }
    }

    /// The dataset's plan as stored. Products in id order and dependencies in (parent, child)
    /// order: the order of the Rust service's primary keys, which is how it listed them.
    public func plan(_ datasetID: UUID) async throws -> Plan? {
        let id = datasetID.lowercasedString
        return try await run { connection in
            let dataset = try connection.query(
                "SELECT \(PostgresRows.datasetColumns) FROM dataset WHERE id = $1", [id]
            ).first.map(PostgresRows.dataset)
            guard let dataset else { return nil }
            let products = try connection.query(
                "SELECT \(PostgresRows.productColumns) FROM data_product WHERE dataset_id = $1 ORDER BY id", [id]
            ).rows.map(PostgresRows.product)
            let dependencies = try connection.query(
                """
                SELECT \(PostgresRows.dependencyColumns) FROM dependency WHERE dataset_id = $1
                ORDER BY parent_id, child_id
                """, [id]
            ).rows.map(PostgresRows.dependency)
            return Plan(dataset: dataset, dataProducts: products, dependencies: dependencies)
        }
    }

    /// Ends the snapshot and closes the connection (nothing was written, so nothing is lost).
    public func close() async {
        _ = try? await run { try $0.execute("ROLLBACK") }
    }

    private func run<T: Sendable>(_ body: @escaping @Sendable (PGConnection) throws -> T) async throws -> T {
        try await Self.onQueue(queue) { try body(self.connection) }
    }

    /// Runs blocking libpq calls on a queue of their own, never on Swift's cooperative pool.
    private static func onQueue<T: Sendable>(
        _ queue: DispatchQueue = DispatchQueue(label: "fletcher.import.connect"),
        _ body: @escaping @Sendable () throws -> T
    ) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(
                    with: Result {
                        do {
                            return try body()
                        } catch let error as PGError where error.isConnectionFailure {
                            throw StoreUnavailable(reason: error.message)
                        }
                    })
            }
        }
    }
}

/// The source database cannot be imported from, and why.
public struct UpstreamError: Error, CustomStringConvertible, Sendable {
    public let description: String

    init(_ description: String) { self.description = description }
}
