import FletcherCore
import FletcherPostgres
import FletcherSQLite
import Foundation

/// The backends every store test runs against. PostgreSQL joins when `DATABASE_URL` names one
/// (CI starts a throwaway cluster and sets `FLETCHER_REQUIRE_POSTGRES=1`, so there it cannot be
/// skipped silently).
public enum Backend: String, CaseIterable, Sendable, CustomStringConvertible {
    case sqlite, postgres

    public var description: String { rawValue }

    public static let postgresURL: String? = ProcessInfo.processInfo.environment["DATABASE_URL"].flatMap {
        $0.hasPrefix("postgres://") || $0.hasPrefix("postgresql://") ? $0 : nil
    }
    public static let postgresRequired = ProcessInfo.processInfo.environment["FLETCHER_REQUIRE_POSTGRES"] == "1"

    public static let available: [Backend] = {
        if postgresURL != nil || postgresRequired { return [.sqlite, .postgres] }
        FileHandle.standardError.write(
            Data(
                "note: no PostgreSQL configured (DATABASE_URL=postgres://…): the PostgreSQL store tests are skipped\n"
                    .utf8))
        return [.sqlite]
    }()
}

/// A fresh, empty database of one backend: a file for SQLite, a new schema for PostgreSQL.
/// `open()` may be called several times to get several stores on it (several instances).
public struct TestDatabase: Sendable {
    public let backend: Backend
    private let location: String

    public static func make(_ backend: Backend, in directory: borrowing TemporaryDirectory) async throws -> TestDatabase
    {
        switch backend {
        case .sqlite:
            return TestDatabase(backend: backend, location: directory.path("fletcher.sqlite"))
        case .postgres:
            guard let url = Backend.postgresURL else {
                throw TestDatabaseError("FLETCHER_REQUIRE_POSTGRES=1 but DATABASE_URL names no PostgreSQL database")
            }
            try await SchemaSweep.once(url)
            let schema =
                "test_\(getpid())_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
            try await psql(url, "CREATE SCHEMA \(schema)")
            let separator = url.contains("?") ? "&" : "?"
            return TestDatabase(
                backend: backend, location: url + separator + "options=-c%20search_path%3D\(schema)%2Cpublic")
        }
    }

    /// A store on this database, with migrations applied.
    public func open(maxConnections: Int = 8) async throws -> any FletcherStore {
        switch backend {
        case .sqlite:
            let store = try await SQLitePlanStore.open(path: location)
            try await store.migrate()
            return store
        case .postgres:
            let store = try await PostgresPlanStore.open(conninfo: location, maxConnections: maxConnections)
            try await store.migrate()
            return store
        }
    }

    /// The conninfo (PostgreSQL) or path (SQLite) of this database.
    public var url: String { location }

    /// Runs SQL on this database through its command-line shell, as an operator would.
    @discardableResult
    public func execute(_ sql: String) async throws -> String {
        switch backend {
        case .sqlite: try await runChecked(["sqlite3", location, sql])
        case .postgres: try await psql(location, sql)
        }
    }
}

public struct TestDatabaseError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Test schemas are named `test_<pid>_…` after the test process that made them. A schema's
/// lifetime cannot follow its test's (a store may be used after the last mention of the value
/// that made it), so each test process, before its first schema, drops those of test processes
/// that are no longer running on this machine: a developer's own database does not fill up.
private actor SchemaSweep {
    static let shared = SchemaSweep()
    private var swept = false

    static func once(_ url: String) async throws { try await shared.sweep(url) }

    private func sweep(_ url: String) async throws {
        guard !swept else { return }
        swept = true
        let schemas = try await psql(url, "SELECT nspname FROM pg_namespace WHERE nspname ~ '^test_[0-9]+_'")
        for schema in schemas.split(separator: "\n") {
            guard let pid = Int32(schema.split(separator: "_")[1]), pid != getpid(), kill(pid, 0) != 0, errno == ESRCH
            else { continue }
            try await psql(url, "DROP SCHEMA IF EXISTS \(schema) CASCADE")
        }
    }
}

/// Runs SQL through `psql`, as an operator would.
@discardableResult
public func psql(_ url: String, _ sql: String) async throws -> String {
    try await runChecked(["psql", url, "-qAtc", sql])
}
