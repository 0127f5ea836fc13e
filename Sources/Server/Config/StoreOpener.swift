import FletcherCore
import FletcherMigrations
import FletcherPostgres
import FletcherSQLite
import Foundation
import ServiceLifecycle

/// Opens the store `DATABASE_URL` names, with low-level failures turned into one clear line.
public struct OpenedStore: Sendable {
    public let store: any FletcherStore
    /// What must run in the server's service group, before the services that use the store, so
    /// the store closes after them (PostgreSQL's connection pool); nil when nothing must.
    public let lifecycle: (any Service)?
    /// Applies this build's migrations; returns the ones applied now.
    public let migrate: @Sendable () async throws -> [Migration]

    /// Opens the store. An unreachable PostgreSQL is tried `attempts` times, a second apart, so
    /// Fletcher and its database may start together; then start-up fails with one line.
    public static func open(_ url: DatabaseURL, maxConnections: Int = 10, attempts: Int = 10) async throws
        -> OpenedStore
    {
        switch url {
        case .sqlite(let path):
            let store = try await describingFailures(url) { try await SQLitePlanStore.open(path: path) }
            return OpenedStore(store: store, lifecycle: nil) {
                try await describingFailures(url) { try await store.migrate() }
            }
        case .postgres(let conninfo):
            var attempt = 1
            while true {
                do {
                    let store = try await PostgresPlanStore.open(conninfo: conninfo, maxConnections: maxConnections)
                    return OpenedStore(store: store, lifecycle: store) {
                        try await describingFailures(url) { try await store.migrate() }
                    }
                } catch let error as StoreUnavailable {
                    guard attempt < attempts else {
                        throw ConfigurationError(
                            "\(url.display): the database did not answer after \(attempts) attempts: \(error.reason)")
                    }
                    attempt += 1
                    try await Task.sleep(for: .seconds(1))
                }
            }
        }
    }

    static func describingFailures<T>(_ url: DatabaseURL, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as SQLiteError where error.isCorruptOrForeign {
            throw ConfigurationError(
                "\(url.display): not an SQLite database, or damaged (\(error.message)); nothing was changed")
        } catch let error as SQLiteError {
            throw ConfigurationError("\(url.display): \(error.message)")
        } catch let error as MigrationError {
            throw ConfigurationError("\(url.display): \(error)")
        } catch let error as PGError {
            throw ConfigurationError("\(url.display): \(error)")
        } catch let error as StoreUnavailable {
            throw ConfigurationError("\(url.display): \(error)")
        }
    }
}

extension DatabaseURL {
    /// The URL as an operator wrote it, without a password.
    public var display: String {
        switch self {
        case .sqlite(let path): "sqlite:\(path)"
        case .postgres(let text):
            text.replacingOccurrences(of: #":[^:@/]*@"#, with: ":***@", options: .regularExpression)
        }
    }
}
