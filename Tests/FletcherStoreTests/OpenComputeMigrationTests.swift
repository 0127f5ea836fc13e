import FletcherCore
import FletcherMigrations
import FletcherTestSupport
import Foundation
import Testing

@testable import FletcherPostgres
@testable import FletcherSQLite

/// Migration 3 drops the constraints that named the platforms: a database written by the
/// previous release (migrations 1 and 2, plans posted and dispatched) keeps every row, and then
/// takes products of a platform the constraints did not know.
@Suite("Migration to open compute names")
struct OpenComputeMigrationTests {
    private let kubernetes = Compute(rawValue: "kubernetes")!

    @Test(arguments: Backend.available)
    func aDatabaseOfThePreviousReleaseKeepsEveryRow(backend: Backend) async throws {
        let directory = try TemporaryDirectory()
        let database = try await TestDatabase.make(backend, in: directory)
        let (store, migrate) = try await previousRelease(database)
        let orchestrator = Orchestrator(store: store, platforms: .builtIn(dispatching: [.cams]))
        var factory = PlanFactory()
        let plan = factory.plan(["A", "B", "C"], [("A", "B"), ("B", "C")])
        _ = try await orchestrator.post(plan, by: "tester")
        _ = try await orchestrator.execute(
            .update([StateParam(id: factory.id("A"), state: .success)]), on: factory.datasetID, by: "tester")
        let before = try await dump(database)
        #expect(before.contains("cams"), "the previous release's rows are there: \(before)")
        await #expect(throws: (any Error).self, "the previous schema refuses another platform") {
            try await post(kubernetesPlan(), to: store)
        }

        let applied = try await migrate()
        let known = database.backend == .postgres ? Migrations.postgres : Migrations.sqlite
        #expect(applied.map(\.version) == known.dropFirst(2).map(\.version))
        #expect(try await dump(database) == before)

        let posted = try await post(kubernetesPlan(), to: store)
        #expect(posted.plan.dataProducts.map(\.compute) == [kubernetes])
        let run = try #require(try await store.runs(posted.plan.dataset.id, posted.plan.dataProducts[0].id).first)
        #expect(run.compute == kubernetes)
    }

    /// A store on `database` at the previous release's schema, and how to migrate it to this one.
    private func previousRelease(_ database: TestDatabase) async throws
        -> (any FletcherStore, @Sendable () async throws -> [Migration])
    {
        // Today's store writes each dataset's product counts (a later migration's columns): while
        // it writes the previous release's rows they are scratch columns, gone before migrating.
        let counts = State.allCases.map { "products_\($0.rawValue)" }
        let addCounts = counts.map { "ALTER TABLE dataset ADD COLUMN \($0) integer NOT NULL DEFAULT 0;" }
        let dropCounts = counts.map { "ALTER TABLE dataset DROP COLUMN \($0);" }
        switch database.backend {
        case .sqlite:
            let store = try await SQLitePlanStore.open(path: database.url)
            _ = try await store.writer.run {
                _ = try SQLiteMigrator.migrate($0, migrations: Array(Migrations.sqlite.prefix(2)))
                for add in addCounts { try $0.execute(add) }
            }
            return (
                store,
                {
                    try await store.writer.run { for drop in dropCounts { try $0.execute(drop) } }
                    return try await store.migrate()
                }
            )
        case .postgres:
            let store = try await PostgresPlanStore.open(conninfo: database.url, maxConnections: 2)
            // The same for the change log of migration 4.
            _ = try await store.administration.withConnection {
                _ = try PostgresMigrator.migrate($0, migrations: Array(Migrations.postgres.prefix(2)))
                try $0.execute("CREATE TABLE change_log (seq bigserial, dataset_id uuid, version bigint, change text)")
                for add in addCounts { try $0.execute(add) }
            }
            return (
                store,
                {
                    try await store.administration.withConnection {
                        try $0.execute("DROP TABLE change_log")
                        for drop in dropCounts { try $0.execute(drop) }
                    }
                    return try await store.migrate()
                }
            )
        }
    }

    private func kubernetesPlan() -> PlanParam {
        let product = DataProductParam(
            id: UUID(), compute: kubernetes, name: "job", version: "1", eager: true, passthrough: ["image": "busybox"])
        return PlanParam(dataset: DatasetParam(id: UUID()), dataProducts: [product], dependencies: [])
    }

    @discardableResult
    private func post(_ plan: PlanParam, to store: any FletcherStore) async throws -> CommandOutcome {
        let platforms = PlatformCatalog(
            [
                PlatformRules(compute: .cams, displayName: "C-AMS"),
                PlatformRules(compute: kubernetes, displayName: "K"),
            ],
            dispatching: [kubernetes])
        return try await Orchestrator(store: store, platforms: platforms).post(plan, by: "tester")
    }

    /// Every row of the tables the migration rebuilds (and those that point at them), as text.
    private func dump(_ database: TestDatabase) async throws -> String {
        let queries = [
            "SELECT * FROM data_product ORDER BY dataset_id, position",
            "SELECT * FROM run ORDER BY run_id", "SELECT * FROM outbox ORDER BY run_id",
            "SELECT * FROM dependency ORDER BY dataset_id, position",
        ]
        var tables: [String] = []
        for query in queries {
            switch database.backend {
            case .sqlite: tables.append(try await runChecked(["sqlite3", database.url, query]))
            case .postgres: tables.append(try await psql(database.url, query))
            }
        }
        return tables.joined(separator: "\n--\n")
    }
}
