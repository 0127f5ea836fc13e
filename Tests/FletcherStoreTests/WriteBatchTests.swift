import FletcherCore
import FletcherTestSupport
import Foundation
import Testing

@testable import FletcherPostgres

/// Calls that wait while every write transaction is busy go together into the next one (a group
/// commit), and each still hears its own outcome: a step that refuses fails its caller alone, a
/// write the database refuses fails its caller alone, a dataset's second call sees its first, and
/// a waiting caller can give up.
@Suite("PostgreSQL write batches", .enabled(if: Backend.available.contains(.postgres)))
struct WriteBatchTests {
    struct Refused: Error, Equatable {}

    @Test func waitingCallsShareOneTransactionAndKeepTheirOwnOutcomes() async throws {
        let setup = try await Setup.make(datasets: 7)
        defer { setup.store.close() }
        let ids = setup.datasetIDs
        try await setup.whileWriteTransactionsWait {
            var first = PlanFactory()
            let firstPlan = first.plan(["A"])
            let starts: [@Sendable () async throws -> Int64] = [
                { try await setup.pause(ids[2]) },
                { try await setup.pause(ids[3]) },
                { try await setup.pause(ids[4]) },
                { try await setup.pause(ids[5]) },
                { try await setup.pause(ids[2]) },
                { try await setup.store.withLockedDataset(ids[6]) { _ -> Int64 in throw Refused() } },
                { try await setup.orchestrator.post(firstPlan, by: "t").version },
            ]
            // One at a time: tasks started together reach the queue in any order, and the two calls
            // on one dataset must queue in a known order for the versions to say who saw whom.
            var calls: [Task<Int64, any Error>] = []
            for start in starts {
                calls.append(Task { try await start() })
                try await eventually("\(calls.count) call(s) wait") { setup.store.writes.waiting == calls.count }
            }
            return calls
        } then: { calls in
            let versions = try await [0, 1, 2, 3, 4].asyncMap { try await calls[$0].value }
            #expect(versions == [2, 2, 2, 2, 3], "the second call on a dataset saw the first")
            await #expect(throws: Refused.self) { try await calls[5].value }
            #expect(try await calls[6].value == 1)
        }
        let commits = try await setup.transactions(of: [ids[3], ids[4], ids[5]])
        #expect(commits == 1, "the calls that waited on distinct datasets committed together")
        #expect(try await setup.store.version(of: ids[6]) == 1, "the refused step wrote nothing")
    }

    @Test func aWriteTheDatabaseRefusesFailsItsCallerAlone() async throws {
        let setup = try await Setup.make(datasets: 5)
        defer { setup.store.close() }
        let ids = setup.datasetIDs
        try await setup.whileWriteTransactionsWait {
            let calls = [
                Task { try await setup.pause(ids[2]) },
                Task { try await setup.pause(ids[3], withEdgeFrom: UUID()) },
                Task { try await setup.pause(ids[4]) },
            ]
            try await eventually("all three calls wait") { setup.store.writes.waiting == 3 }
            return calls
        } then: { calls in
            #expect(try await calls[0].value == 2)
            #expect(try await calls[2].value == 2)
            do {
                _ = try await calls[1].value
                Issue.record("a dependency on a missing product was stored")
            } catch let error as PGError {
                #expect(error.message.contains("does not exist"), "\(error)")
            }
        }
        #expect(try await setup.store.version(of: ids[3]) == 1)
        #expect(try await setup.store.storedPlan(ids[3])?.plan.dataset.paused == false)
    }

    @Test func aCallOnADatasetInATransactionWaitsForItWithoutHoldingUpOthers() async throws {
        let setup = try await Setup.make(datasets: 3)
        defer { setup.store.close() }
        let ids = setup.datasetIDs
        try await setup.whileWriteTransactionsWait(1) {
            let queued = Task { try await setup.pause(ids[0]) }
            try await eventually("the call on the held dataset waits") { setup.store.writes.waiting == 1 }
            let other = Task { try await setup.pause(ids[2]) }
            #expect(try await other.value == 2, "the free transaction took the other dataset alone")
            #expect(setup.store.writes.waiting == 1, "the call on the held dataset still waits for its turn")
            return [queued]
        } then: { calls in
            let version = try await calls[0].value
            #expect(version == 3, "it ran after the transaction that held its dataset")
        }
    }

    @Test func aCallThatWaitsTooLongFailsWithStoreUnavailable() async throws {
        let setup = try await Setup.make(datasets: 3, acquireTimeout: .seconds(1))
        defer { setup.store.close() }
        let ids = setup.datasetIDs
        try await setup.whileWriteTransactionsWait {
            let call = Task { try await setup.pause(ids[2]) }
            await #expect(throws: StoreUnavailable.self) { _ = try await call.value }
            #expect(setup.store.writes.waiting == 0)
            return [call]
        } then: { _ in
        }
        #expect(try await setup.pause(ids[2]) == 2, "the call that gave up wrote nothing")
    }

    @Test func callersThatGiveUpWhileWaitingLeaveNothingBehind() async throws {
        let setup = try await Setup.make(datasets: 3)
        defer { setup.store.close() }
        let ids = setup.datasetIDs
        try await setup.whileWriteTransactionsWait {
            let calls = (0..<50).map { _ in Task { try await setup.pause(ids[2]) } }
            try await eventually("all fifty calls wait") { setup.store.writes.waiting == 50 }
            for call in calls { call.cancel() }
            for call in calls { await #expect(throws: CancellationError.self) { _ = try await call.value } }
            #expect(setup.store.writes.waiting == 0)
            return calls
        } then: { _ in
        }
        #expect(try await setup.pause(ids[2]) == 2)
    }
}

/// A store of two connections (so two write transactions) and plans of two products.
private final class Setup: Sendable {
    let directory: TemporaryDirectory
    let store: PostgresPlanStore
    let orchestrator: Orchestrator
    let datasetIDs: [UUID]
    let products: [UUID]

    static func make(datasets: Int, acquireTimeout: Duration = .seconds(300)) async throws -> Setup {
        let directory = try TemporaryDirectory()
        let database = try await TestDatabase.make(.postgres, in: directory)
        let store = try await PostgresPlanStore.open(
            conninfo: database.url, maxConnections: 2, acquireTimeout: acquireTimeout)
        try await store.migrate()
        #expect(store.writes.limit == 2)
        let orchestrator = Orchestrator(store: store, platforms: .builtIn())
        var ids: [UUID] = []
        var products: [UUID] = []
        for _ in 0..<datasets {
            var factory = PlanFactory()
            _ = try await orchestrator.post(factory.plan(["A", "B"], [("A", "B")]), by: "t")
            ids.append(factory.datasetID)
            products.append(factory.id("B"))
        }
        return Setup(
            directory: directory, store: store, orchestrator: orchestrator, datasetIDs: ids, products: products)
    }

    private init(
        directory: consuming TemporaryDirectory, store: PostgresPlanStore, orchestrator: Orchestrator,
        datasetIDs: [UUID], products: [UUID]
    ) {
        self.directory = directory
        self.store = store
        self.orchestrator = orchestrator
        self.datasetIDs = datasetIDs
        self.products = products
    }

    /// Pauses the dataset through the store (the plan read in the transaction); with `withEdgeFrom`,
    /// also writes a dependency on a product that does not exist, which the database refuses.
    func pause(_ datasetID: UUID, withEdgeFrom missing: UUID? = nil) async throws -> Int64 {
        let child = products[datasetIDs.firstIndex(of: datasetID)!]
        return try await store.withLockedDataset(datasetID) { transaction in
            let state = try #require(try transaction.loadPlan())
            var delta = PlanDelta()
            var dataset = state.dataset
            dataset.paused = true
            delta.dataset = dataset
            if let missing {
                delta.dependencies[state.dependencies.count] = Dependency(
                    parentID: missing, childID: child, extra: nil, modifiedBy: "t", modifiedDate: dataset.modifiedDate)
            }
            try transaction.write(
                delta, datasetID: datasetID, version: state.version + 1, counts: state.counts,
                at: dataset.modifiedDate)
            return state.version + 1
        }
    }

    /// Holds the rows of the first `count` datasets in another session while a call on each takes
    /// one of the two write transactions and waits for its row; `queue` starts calls that can then
    /// only wait (for both) or have one transaction left (for one); after the rows are let go,
    /// `check` sees every call's outcome.
    func whileWriteTransactionsWait<T>(
        _ count: Int = 2, _ queue: () async throws -> [Task<T, any Error>],
        then check: ([Task<T, any Error>]) async throws -> Void
    ) async throws {
        let ids = datasetIDs.prefix(count).map(\.lowercasedString)
        _ = try await store.administration.withConnection {
            _ = try $0.query("BEGIN")
            return try $0.query(
                "SELECT version FROM dataset WHERE id = ANY($1::uuid[]) FOR UPDATE", ["{\(ids.joined(separator: ","))}"]
            )
        }
        var blocked: [Task<Int64, any Error>] = []
        for (index, datasetID) in datasetIDs.prefix(count).enumerated() {
            blocked.append(Task { try await pause(datasetID) })
            try await eventually("\(index + 1) write transaction(s) wait for a row") {
                try await lockWaiters() == index + 1
            }
        }
        let calls = try await queue()
        _ = try await store.administration.withConnection { try $0.query("COMMIT") }
        for call in blocked { #expect(try await call.value == 2) }
        try await check(calls)
    }

    private func lockWaiters() async throws -> Int {
        let rows = try await store.administration.withConnection {
            try $0.query(
                "SELECT count(*) FROM pg_locks WHERE NOT granted AND transactionid = pg_current_xact_id()::xid")
        }
        return Int(rows.first?[0] ?? "") ?? 0
    }

    /// How many transactions last wrote these datasets' rows.
    func transactions(of datasetIDs: [UUID]) async throws -> Int {
        let ids = datasetIDs.map(\.lowercasedString).joined(separator: ",")
        let rows = try await store.pool.query(
            "SELECT count(DISTINCT xmin::text) FROM dataset WHERE id = ANY($1::uuid[])", ["{\(ids)}"])
        return Int(rows.first?[0] ?? "") ?? 0
    }
}

extension Array where Element: Sendable {
    fileprivate func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
