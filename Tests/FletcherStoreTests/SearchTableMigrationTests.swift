import FletcherCore
import FletcherMigrations
import FletcherTestSupport
import Foundation
import Testing

@testable import FletcherPostgres

/// Migration 7 moves PostgreSQL's search text to a table of its own, kept in step with
/// `dataset.search_extra` by a trigger: plans stored before the migration are still found, and a
/// plan whose `extra` changes is found by its new text only, whichever release wrote it.
@Suite("PostgreSQL search table", .enabled(if: Backend.available.contains(.postgres)))
struct SearchTableMigrationTests {
    @Test func plansAreFoundByTheirCurrentTextBeforeAndAfterTheMigration() async throws {
        let directory = try TemporaryDirectory()
        let database = try await TestDatabase.make(.postgres, in: directory)
        let store = try await PostgresPlanStore.open(conninfo: database.url, maxConnections: 2)
        defer { store.close() }
        _ = try await store.administration.withConnection {
            try PostgresMigrator.migrate($0, migrations: Migrations.postgres.filter { $0.version < 7 })
        }
        let orchestrator = Orchestrator(store: store, platforms: .builtIn())
        var old = PlanFactory()
        _ = try await orchestrator.post(old.plan(["A"], extra: ["team": "Ledger"]), by: "t")
        #expect(try await store.migrate().map(\.version).first == 7)

        func found(_ term: String) async throws -> [UUID] {
            try await store.search(term, state: nil, page: 0).rows.map(\.datasetID)
        }
        #expect(try await found("ledger") == [old.datasetID])
        #expect(try await found(String(old.datasetID.lowercasedString.prefix(13))) == [old.datasetID])

        // The previous release, still running during a rollout, writes only the dataset's column.
        _ = try await database.execute(
            "UPDATE dataset SET search_extra = '{\"team\":\"payroll\"}' WHERE id = '\(old.datasetID.lowercasedString)'")
        #expect(try await found("ledger").isEmpty)
        #expect(try await found("payroll") == [old.datasetID])

        var new = PlanFactory()
        _ = try await orchestrator.post(new.plan(["B"], extra: ["team": "Ledger"]), by: "t")
        #expect(try await found("ledger") == [new.datasetID])
        _ = try await orchestrator.post(new.plan(["B"], extra: ["team": "Tax"]), by: "t")
        #expect(try await found("ledger").isEmpty)
        #expect(try await found("tax") == [new.datasetID])
        #expect(Set(try await found("team")) == [old.datasetID, new.datasetID])
    }
}
