import FletcherMigrations
import FletcherSQLite
import FletcherTestSupport
import Foundation
import Testing

@Suite("SQLite migrations and damaged databases")
struct MigrationTests {
    @Test func migratingTwiceAppliesOnce() async throws {
        let directory = try TemporaryDirectory()
        let store = try await SQLitePlanStore.open(path: directory.path("db.sqlite"))
        #expect(try await store.pendingMigrations().map(\.version) == Migrations.sqlite.map(\.version))
        #expect(try await store.migrate().map(\.version) == Migrations.sqlite.map(\.version))
        #expect(try await store.migrate().isEmpty)
        #expect(try await store.pendingMigrations().isEmpty)
    }

    @Test func processesMigratingAtOnceApplyEachMigrationExactlyOnce() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("db.sqlite")
        var stores: [SQLitePlanStore] = []
        for _ in 0..<4 { stores.append(try await SQLitePlanStore.open(path: path)) }
        let applied = try await withThrowingTaskGroup(of: Int.self) { group in
            for store in stores { group.addTask { try await store.migrate().count } }
            return try await group.reduce(0, +)
        }
        #expect(applied == Migrations.sqlite.count)
    }

    @Test func anEditedAppliedMigrationIsRefused() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("db.sqlite")
        try await SQLitePlanStore.open(path: path).migrate()
        try await sqlite(path, "UPDATE schema_migrations SET checksum = '0000000000000000' WHERE version = 1")
        let error = await #expect(throws: MigrationError.self) {
            try await SQLitePlanStore.open(path: path).migrate()
        }
        #expect(error?.description.contains("migration 1 (initial) was changed after it was applied") == true)
    }

    @Test func aNewerSchemaIsRefused() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("db.sqlite")
        try await SQLitePlanStore.open(path: path).migrate()
        try await sqlite(path, "INSERT INTO schema_migrations VALUES (99, 'future', 'x', 0)")
        let error = await #expect(throws: MigrationError.self) {
            try await SQLitePlanStore.open(path: path).migrate()
        }
        #expect(error?.description.contains("version 99, newer than this build") == true)
    }

    @Test func aForeignDatabaseIsRefusedAndLeftAlone() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("other.sqlite")
        try await sqlite(path, "CREATE TABLE invoices (id INTEGER); INSERT INTO invoices VALUES (42)")
        let error = await #expect(throws: MigrationError.self) {
            try await SQLitePlanStore.open(path: path).migrate()
        }
        #expect(error?.description.contains("not a Fletcher database: it has tables (invoices)") == true)
        #expect(try await sqlite(path, "SELECT group_concat(name) FROM sqlite_master") == "invoices")
    }

    @Test func aFileThatIsNotSQLiteIsRefusedAndLeftAlone() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("notes.sqlite")
        let content = Data(String(repeating: "not a database\n", count: 100).utf8)
        try content.write(to: URL(fileURLWithPath: path))
        let error = await #expect(throws: SQLiteError.self) {
            try await SQLitePlanStore.open(path: path).migrate()
        }
        #expect(error?.isCorruptOrForeign == true)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == content)
    }

    /// Runs SQL through the sqlite3 command-line shell, as an operator (or another program) would.
    @discardableResult
    /// The sqlite3 shell waits for a lock as the stores do (its default is to fail at once): a
    /// store just released may still be closing its connection, checkpointing the WAL.
    private func sqlite(_ path: String, _ sql: String) async throws -> String {
        try await runChecked(["sqlite3", "-cmd", ".timeout 10000", path, sql])
    }
}
