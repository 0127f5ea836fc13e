import ArgumentParser
import FletcherMigrations
import FletcherSQLite
import Foundation

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply the database migrations this build embeds to DATABASE_URL.",
        discussion: """
            Safe to run repeatedly and from several processes at once. Refuses, changing nothing, a database \
            that is not Fletcher's, one newer than this build, or one whose applied migrations were edited.
            """
    )

    @Option(help: "The database (default: $DATABASE_URL, else \(DatabaseURL.defaultValue)).")
    var databaseURL: String?

    func run() async throws {
        let text =
            databaseURL ?? ProcessInfo.processInfo.environment[DatabaseURL.environmentKey] ?? DatabaseURL.defaultValue
        let store = try await StoreOpener.open(try DatabaseURL(parsing: text))
        let applied = try await StoreOpener.describingFailures(text) { try await store.migrate() }
        if applied.isEmpty {
            print("Database is up to date.")
        } else {
            for migration in applied { print("Applied migration \(migration.version) (\(migration.name)).") }
        }
    }
}

/// Opens the store named by a database URL, turning low-level failures into one clear line.
enum StoreOpener {
    static func open(_ url: DatabaseURL) async throws -> SQLitePlanStore {
        switch url {
        case .sqlite(let path):
            return try await describingFailures("sqlite:\(path)") { try await SQLitePlanStore.open(path: path) }
        case .postgres:
            throw CLIError("DATABASE_URL names PostgreSQL, which this build does not support yet; use sqlite:PATH")
        }
    }

    static func describingFailures<T>(_ url: String, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as SQLiteError where error.isCorruptOrForeign {
            throw CLIError("\(url): not an SQLite database, or damaged (\(error.message)); nothing was changed")
        } catch let error as SQLiteError {
            throw CLIError("\(url): \(error.message)")
        } catch let error as MigrationError {
            throw CLIError("\(url): \(error)")
        }
    }
}
