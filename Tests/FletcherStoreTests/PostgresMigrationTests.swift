import FletcherCore
import FletcherMigrations
import FletcherPostgres
import FletcherTestSupport
import Foundation
import Testing

@Suite("PostgreSQL migrations", .enabled(if: Backend.available.contains(.postgres)))
struct PostgresMigrationTests {
    /// A fresh schema; PostgreSQL needs no files, so the directory is not kept.
    private func database() async throws -> TestDatabase {
        try await TestDatabase.make(.postgres, in: TemporaryDirectory())
    }

    @Test func migratingTwiceAppliesOnce() async throws {
        let database = try await database()
        let store = try await PostgresPlanStore.open(conninfo: database.url, maxConnections: 2)
        #expect(try await store.pendingMigrations().map(\.version) == Migrations.postgres.map(\.version))
        #expect(try await store.migrate().count == Migrations.postgres.count)
        #expect(try await store.migrate().isEmpty)
        #expect(await store.readiness() == .ready)
    }

    @Test func instancesStartingAtOnceApplyEachMigrationExactlyOnce() async throws {
        let database = try await database()
        var stores: [PostgresPlanStore] = []
        for _ in 0..<4 { stores.append(try await PostgresPlanStore.open(conninfo: database.url, maxConnections: 1)) }
        let applied = try await withThrowingTaskGroup(of: Int.self) { group in
            for store in stores { group.addTask { try await store.migrate().count } }
            return try await group.reduce(0, +)
        }
        #expect(applied == Migrations.postgres.count)
    }

    @Test func anEditedAppliedMigrationIsRefused() async throws {
        let database = try await database()
        let store = try await PostgresPlanStore.open(conninfo: database.url, maxConnections: 1)
        try await store.migrate()
        try await psql(database.url, "UPDATE schema_migrations SET checksum = 'edited'")
        let error = await #expect(throws: MigrationError.self) { try await store.migrate() }
        #expect(error?.description.contains("migration 1 (initial) was changed after it was applied") == true)
    }

    @Test func theRustServicesSchemaIsRefusedAndLeftAlone() async throws {
        let database = try await database()
        let store = try await PostgresPlanStore.open(conninfo: database.url, maxConnections: 1)
        try await psql(database.url, "CREATE TABLE dataset (id uuid PRIMARY KEY, paused boolean)")
        try await psql(database.url, "CREATE TABLE _sqlx_migrations (version bigint)")
        let error = await #expect(throws: MigrationError.self) { try await store.migrate() }
        #expect(
            error?.description.contains("not a Fletcher database: it has tables (_sqlx_migrations, dataset)") == true)
        #expect(
            try await psql(database.url, "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()") == "2")
    }

    @Test func anUnreachableDatabaseIsUnavailable() async throws {
        await #expect(throws: (any Error).self) {
            _ = try await PostgresPlanStore.open(
                conninfo: "postgresql://nobody@127.0.0.1:1/none?connect_timeout=2", maxConnections: 1)
        }
    }
}

@Suite("PostgreSQL connections", .enabled(if: Backend.available.contains(.postgres)))
struct PostgresConnectionTests {
    /// NOTIFY from one instance reaches a LISTEN on another connection (as across instances), and
    /// an empty notification says when listening has started: what was sent before is missed.
    @Test func notificationsReachListeners() async throws {
        let database = try await TestDatabase.make(.postgres, in: TemporaryDirectory())
        let store = try await PostgresPlanStore.open(conninfo: database.url, maxConnections: 2)
        let listener = store.listen(channel: "fletcher_test_channel")
        defer { listener.stop() }
        var notifications = listener.notifications.makeAsyncIterator()
        let started = await notifications.next()
        #expect(started?.channel == "fletcher_test_channel" && started?.payload == "")
        try await store.notify(channel: "fletcher_test_channel", payload: "plan-1")
        let received = await notifications.next()
        #expect(received?.channel == "fletcher_test_channel" && received?.payload == "plan-1")
    }

    /// A libpq key=value string works as well as a URI.
    @Test func keyValueConnectionStringsWork() async throws {
        let database = try await TestDatabase.make(.postgres, in: TemporaryDirectory())
        let match = try #require(
            database.url.firstMatch(of: /postgres(?:ql)?:\/\/([^@]+)@([^:\/]+):(\d+)\/([^?]+)\?.*search_path%3D(\w+)/))
        let conninfo =
            "host=\(match.2) port=\(match.3) dbname=\(match.4) user=\(match.1) connect_timeout=5 "
            + "options='-c search_path=\(match.5),public'"
        let store = try await PostgresPlanStore.open(conninfo: conninfo, maxConnections: 1)
        #expect(try await store.migrate().count == Migrations.postgres.count)
        #expect(await store.readiness() == .ready)
    }
}
