import FletcherCore
import FletcherMigrations
import FletcherSQLite
import Foundation

/// Opens the store `DATABASE_URL` names, with low-level failures turned into one clear line.
public struct OpenedStore: Sendable {
    public let store: any PlanStore
    /// Applies this build's migrations; returns the ones applied now.
    public let migrate: @Sendable () async throws -> [Migration]

    public static func open(_ url: DatabaseURL) async throws -> OpenedStore {
        switch url {
        case .sqlite(let path):
            let store = try await describingFailures(url) { try await SQLitePlanStore.open(path: path) }
            return OpenedStore(store: store) { try await describingFailures(url) { try await store.migrate() } }
        case .postgres:
            throw ConfigurationError(
                "DATABASE_URL names PostgreSQL, which this build does not support yet; use sqlite:PATH")
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
        }
    }
}

extension DatabaseURL {
    /// The URL as an operator wrote it, without a password.
    var display: String {
        switch self {
        case .sqlite(let path): "sqlite:\(path)"
        case .postgres(let text):
            text.replacingOccurrences(of: #":[^:@/]*@"#, with: ":***@", options: .regularExpression)
        }
    }
}
