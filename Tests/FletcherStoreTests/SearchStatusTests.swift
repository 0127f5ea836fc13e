import FletcherCore
import FletcherMigrations
import FletcherTestSupport
import Foundation
import Testing

/// The search's status columns: each row says whether its dataset is paused and how many of its
/// products are in each state, after every kind of command, and a state filter keeps exactly the
/// plans with a product in that state.
@Suite("Search with status (every backend)")
struct SearchStatusTests {
    @Test(arguments: Backend.available)
    func rowsCarryPausedAndCountsAfterEveryCommand(backend: Backend) async throws {
        let directory = try TemporaryDirectory()
        let database = try await TestDatabase.make(backend, in: directory)
        let orchestrator = Orchestrator(store: try await database.open(), platforms: .builtIn(), clock: SteppingClock())
        var factory = PlanFactory()
        _ = try await orchestrator.post(factory.plan(["A", "B", "C", "D"], [("A", "B"), ("B", "C")]), by: "t")
        let id = factory.datasetID

        func row() async throws -> SearchPage.Row {
            try #require(try await orchestrator.search(id.lowercasedString, page: 0).rows.first)
        }
        func expectRow(paused: Bool, _ counts: [State: Int], _ step: Comment) async throws {
            let row = try await row()
            #expect(row.paused == paused, step)
            #expect(row.counts == counts, step)
            let plan = try #require(try await orchestrator.plan(id))
            let actual = plan.dataProducts.reduce(into: [State: Int]()) { $0[$1.state, default: 0] += 1 }
            #expect(row.counts == actual, "the row's counts are the plan's, \(step)")
        }
        try await expectRow(paused: false, [.queued: 2, .waiting: 2], "after the post")
        _ = try await orchestrator.execute(
            .update([StateParam(id: factory.id("A"), state: .failed), StateParam(id: factory.id("D"), state: .success)]
            ),
            on: id, by: "t")
        try await expectRow(paused: false, [.failed: 1, .success: 1, .waiting: 2], "after an update")
        _ = try await orchestrator.execute(.pause, on: id, by: "t")
        try await expectRow(paused: true, [.failed: 1, .success: 1, .waiting: 2], "after a pause")
        _ = try await orchestrator.execute(.disable([factory.id("C")]), on: id, by: "t")
        try await expectRow(paused: true, [.disabled: 1, .failed: 1, .success: 1, .waiting: 1], "after a disable")
        _ = try await orchestrator.execute(.unpause, on: id, by: "t")
        _ = try await orchestrator.execute(.clear([factory.id("A")]), on: id, by: "t")
        try await expectRow(paused: false, [.queued: 1, .disabled: 1, .success: 1, .waiting: 1], "after a clear")
        // A second post adds a product and keeps the states it had.
        _ = try await orchestrator.post(factory.plan(["A", "B", "C", "D", "E"], [("A", "B"), ("B", "C")]), by: "t")
        let reposted = try await row()
        #expect(reposted.counts.values.reduce(0, +) == 5)

        // A store opened afresh (a restarted process, nothing cached) reads the same.
        let reopened = Orchestrator(store: try await database.open(), platforms: .builtIn(), clock: SteppingClock())
        #expect(try await reopened.search(id.lowercasedString, page: 0).rows.first == reposted)
    }

    @Test(arguments: Backend.available)
    func aStateFilterKeepsExactlyThePlansWithAProductInIt(backend: Backend) async throws {
        let directory = try TemporaryDirectory()
        let orchestrator = Orchestrator(
            store: try await TestDatabase.make(backend, in: directory).open(), platforms: .builtIn(),
            clock: SteppingClock())
        var plans: [(factory: PlanFactory, failed: Bool, team: String)] = []
        for index in 0..<8 {
            var factory = PlanFactory()
            let team = index % 2 == 0 ? "ledger" : "payroll"
            _ = try await orchestrator.post(
                factory.plan(["A", "B"], [("A", "B")], extra: ["team": .string(team)]), by: "t")
            let failed = index % 3 == 0
            if failed {
                _ = try await orchestrator.execute(
                    .update([StateParam(id: factory.id("A"), state: .failed)]), on: factory.datasetID, by: "t")
            }
            plans.append((factory, failed, team))
        }
        func found(_ term: String, _ state: State?) async throws -> [UUID] {
            try await orchestrator.search(term, state: state, page: 0).rows.map(\.datasetID)
        }
        let newestFirst = plans.reversed()
        #expect(try await found("", .failed) == newestFirst.filter(\.failed).map(\.factory.datasetID))
        #expect(
            try await found("ledger", .failed)
                == newestFirst.filter { $0.failed && $0.team == "ledger" }.map(\.factory.datasetID))
        #expect(try await found("", .queued) == newestFirst.filter { !$0.failed }.map(\.factory.datasetID))
        #expect(try await found("", .waiting).count == 8)
        #expect(try await found("", .running).isEmpty)
        #expect(try await found("", nil).count == 8)
    }

    /// The migration that adds the columns fills them for plans stored before it.
    @Test(arguments: Backend.available)
    func theMigrationCountsPlansStoredBeforeIt(backend: Backend) async throws {
        let directory = try TemporaryDirectory()
        let database = try await TestDatabase.make(backend, in: directory)
        let orchestrator = Orchestrator(store: try await database.open(), platforms: .builtIn(), clock: SteppingClock())
        var factory = PlanFactory()
        _ = try await orchestrator.post(factory.plan(["A", "B", "C"], [("A", "B")]), by: "t")
        _ = try await orchestrator.execute(
            .update([StateParam(id: factory.id("C"), state: .failed)]), on: factory.datasetID, by: "t")
        let before = try #require(try await orchestrator.search("", page: 0).rows.first)

        let migration = try #require(
            (backend == .sqlite ? Migrations.sqlite : Migrations.postgres).first { $0.name == "state_counts" })
        let backfill = try #require(
            migration.sql.range(of: "UPDATE dataset SET").map { start in
                migration.sql[start.lowerBound...].prefix { $0 != ";" } + ";"
            })
        let columns = State.allCases.map { "products_\($0.rawValue) = 0" }.joined(separator: ", ")
        try await database.execute("UPDATE dataset SET \(columns); \(backfill)")
        let reopened = Orchestrator(store: try await database.open(), platforms: .builtIn(), clock: SteppingClock())
        #expect(try await reopened.search("", page: 0).rows.first == before)
        #expect(before.counts == [.queued: 1, .waiting: 1, .failed: 1])
    }
}
