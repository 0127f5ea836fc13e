import FletcherCore
import FletcherSQLite
import FletcherTestSupport
import Foundation
import Synchronization
import Testing

@Suite("Orchestrator on every store: serializability and the plan cache")
struct ConcurrencyConformanceTests {

    /// Two parents succeeding at once, among re-posts and reads: the child is queued exactly once.
    @Test(arguments: Backend.available)
    func parentsSucceedingTogetherQueueTheChildExactlyOnce(backend: Backend) async throws {
        for _ in 0..<5 {
            let directory = try TemporaryDirectory()
            let orchestrator = Orchestrator(
                store: try await TestDatabase.make(backend, in: directory).open(), platforms: .builtIn())
            var factory = PlanFactory()
            let plan = factory.plan(["A", "B", "C", "D"], [("A", "C"), ("B", "C"), ("C", "D")], eager: true)
            _ = try await orchestrator.post(plan, by: "t")
            let (a, b, c, datasetID) = (factory.id("A"), factory.id("B"), factory.id("C"), factory.datasetID)

            let queuedC = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<32 {
                    group.addTask {
                        switch index {
                        case 0, 1:
                            let outcome = try await orchestrator.execute(
                                .update([StateParam(id: index == 0 ? a : b, state: .success)]), on: datasetID, by: "t")
                            return outcome.queued.filter { $0.id == c }.count
                        case let index where index % 2 == 0:
                            return try await orchestrator.post(plan, by: "t").queued.filter { $0.id == c }.count
                        default:
                            _ = try await orchestrator.plan(datasetID)
                            return 0
                        }
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(queuedC == 1)
            let final = try #require(try await orchestrator.plan(datasetID))
            #expect(final.dataProducts.map(\.state) == [.success, .success, .queued, .waiting])
        }
    }

    /// A burst of platform reports (a level of products finishing together, with repeats and
    /// strays among them) ends as applying them one by one would: every product succeeds, the
    /// child of all of them is queued exactly once with one attempt, each report is answered for
    /// what it did, and no more commits happen than reports applied.
    @Test(arguments: Backend.available)
    func aBurstOfReportsEndsAsAppliedOneByOne(backend: Backend) async throws {
        let directory = try TemporaryDirectory()
        let store = try await TestDatabase.make(backend, in: directory).open()
        let orchestrator = Orchestrator(store: store, platforms: .builtIn(dispatching: [.cams]))
        var factory = PlanFactory()
        let parents = (0..<30).map { "P\($0)" }
        _ = try await orchestrator.post(factory.plan(parents + ["C"], parents.map { ($0, "C") }), by: "t")
        let datasetID = factory.datasetID
        let plan = try #require(try await orchestrator.plan(datasetID))
        let runs = Dictionary(uniqueKeysWithValues: plan.dataProducts.compactMap { p in p.runID.map { (p.id, $0) } })
        let results = try await withThrowingTaskGroup(of: ReportResult.self) { group in
            for parent in parents {
                let id = factory.id(parent)
                for state in [State.running, .success] {
                    group.addTask {
                        try await orchestrator.report(
                            RunReport(dataProductID: id, runID: runs[id]!, state: state), on: datasetID, by: "cams")
                    }
                }
                group.addTask {
                    try await orchestrator.report(
                        RunReport(dataProductID: id, runID: UUID(), state: .failed), on: datasetID, by: "cams")
                }
            }
            return try await group.reduce(into: [ReportResult]()) { $0.append($1) }
        }
        #expect(results.filter { $0 == .stale }.count >= 30, "reports about unknown attempts are stale")
        #expect(results.filter { $0 == .applied }.count >= 30, "every success applies")
        let final = try #require(try await orchestrator.plan(datasetID))
        let child = try #require(final.dataProducts.last)
        #expect(final.dataProducts.dropLast().allSatisfy { $0.state == .success })
        #expect(child.state == .queued && child.runID != nil)
        #expect(try await store.runs(datasetID, child.id).map(\.runID) == [child.runID!])
        let version = try #require(try await store.version(of: datasetID))
        #expect(version <= 1 + Int64(results.filter { $0 == .applied }.count))
        for parent in parents {
            let history = try await store.runs(datasetID, factory.id(parent))
            #expect(history.count == 1 && history[0].state == .success && history[0].startedAt != nil)
        }
    }

    /// 32 concurrent commands of every kind end where running them one by one, in the order the
    /// store committed them, ends.
    @Test(arguments: Backend.available)
    func concurrentCommandsEqualSomeSerialOrder(backend: Backend) async throws {
        let directory = try TemporaryDirectory()
        let orchestrator = Orchestrator(
            store: try await TestDatabase.make(backend, in: directory).open(), platforms: .builtIn())
        var factory = PlanFactory()
        let plan = factory.plan(["A", "B", "C", "D", "E"], [("A", "C"), ("B", "C"), ("C", "D"), ("D", "E")])
        _ = try await orchestrator.post(plan, by: "t")
        let ids = ["A", "B", "C", "D", "E"].map { factory.id($0) }
        let datasetID = factory.datasetID
        var commands: [Command] = []
        // A new seed each run, named in every failure so the case can be run again.
        let seed = UInt64.random(in: 0...UInt64.max)
        var random = SeededGenerator(seed: seed)
        for _ in 0..<32 {
            switch Int.random(in: 0..<10, using: &random) {
            case 0..<5:
                let state = [State.success, .success, .running, .failed].randomElement(using: &random)!
                commands.append(
                    .update([StateParam(id: ids.randomElement(using: &random)!, state: state, runID: UUID())]))
            case 5..<7: commands.append(.clear([ids.randomElement(using: &random)!]))
            case 7: commands.append(.post(plan))
            default: commands.append(Int.random(in: 0..<2, using: &random) == 0 ? .pause : .unpause)
            }
        }
        let committed = try await withThrowingTaskGroup(of: (Int64, Command)?.self) { group in
            for command in commands {
                group.addTask {
                    do {
                        return (try await orchestrator.execute(command, on: datasetID, by: "t").version, command)
                    } catch let error as CommandError {
                        #expect(error.status == 400)  // pausing a paused dataset and the like
                        return nil
                    }
                }
            }
            return try await group.reduce(into: [(Int64, Command)]()) { if let entry = $1 { $0.append(entry) } }
        }
        let order = committed.sorted { $0.0 < $1.0 }
        // Every commit saw the one before it: versions run 2, 3, … without gaps or repeats.
        #expect(order.map(\.0) == Array(2..<Int64(2 + order.count)), "seed \(seed)")

        let replay = Orchestrator(
            store: try await SQLitePlanStore.open(path: ":memory:").migrated(), platforms: .builtIn())
        _ = try await replay.post(plan, by: "t")
        for (_, command) in order { _ = try await replay.execute(command, on: datasetID, by: "t") }
        let expected = try #require(try await replay.plan(datasetID))
        let actual = try #require(try await orchestrator.plan(datasetID))
        #expect(actual.dataProducts.map(\.state) == expected.dataProducts.map(\.state), "seed \(seed)")
        #expect(actual.dataProducts.map(\.runID) == expected.dataProducts.map(\.runID), "seed \(seed)")
        #expect(actual.dataset.paused == expected.dataset.paused, "seed \(seed)")
    }

    /// Two posts racing to add A → B and B → A: one wins, the other is refused as cyclical,
    /// and no cycle is ever stored.
    @Test(arguments: Backend.available)
    func racingPostsNeverStoreACycle(backend: Backend) async throws {
        let directory = try TemporaryDirectory()
        let (one, two) = try await Self.twoInstances(backend, in: directory)
        for _ in 0..<8 {
            var factory = PlanFactory()
            _ = try await one.post(factory.plan(["A", "B"]), by: "t")
            let outcomes = await Self.statuses(
                of: (one, factory.plan([], [("A", "B")])), (two, factory.plan([], [("B", "A")])))
            #expect(outcomes.sorted() == [200, 422])
            let stored = try #require(try await one.plan(factory.datasetID))
            #expect(stored.dependencies.count == 1)
        }
    }

    /// Two instances posting the same new plan at once: both succeed, one creating the plan and
    /// the other merging into it, and the plan is stored once. (The second used to wait for the
    /// first's lock inside a statement whose snapshot predated the first's commit, see no plan,
    /// and fail on the first's rows.)
    @Test(arguments: Backend.available)
    func racingFirstPostsBothSucceed(backend: Backend) async throws {
        let directory = try TemporaryDirectory()
        let (one, two) = try await Self.twoInstances(backend, in: directory)
        for _ in 0..<8 {
            var factory = PlanFactory()
            let plan = factory.plan(["A", "B", "C"], [("A", "B"), ("B", "C")])
            #expect(await Self.statuses(of: (one, plan), (two, plan)) == [200, 200])
            let stored = try #require(try await one.plan(factory.datasetID))
            #expect(stored.dataProducts.count == 3 && stored.dependencies.count == 2)
        }
    }

    /// Two instances (orchestrators of their own) on one new database.
    private static func twoInstances(_ backend: Backend, in directory: borrowing TemporaryDirectory) async throws
        -> (Orchestrator, Orchestrator)
    {
        let database = try await TestDatabase.make(backend, in: directory)
        return (
            Orchestrator(store: try await database.open(), platforms: .builtIn()),
            Orchestrator(store: try await database.open(), platforms: .builtIn())
        )
    }

    /// The statuses of two posts made at once, each by its own instance.
    private static func statuses(of first: (Orchestrator, PlanParam), _ second: (Orchestrator, PlanParam)) async
        -> [Int]
    {
        await withTaskGroup(of: Int.self) { group in
            for (orchestrator, plan) in [first, second] {
                group.addTask { await Self.status { try await orchestrator.post(plan, by: "t") } }
            }
            return await group.reduce(into: [Int]()) { $0.append($1) }
        }
    }

    private static func status(_ body: () async throws -> CommandOutcome) async -> Int {
        do {
            _ = try await body()
            return 200
        } catch let error as CommandError {
            return error.status
        } catch {
            return 500
        }
    }

    /// Two instances on one database: each validates its cached plan against the stored version,
    /// so neither acts on a stale plan; and a warm cache spares the reload.
    @Test(arguments: Backend.available)
    func twoInstancesNeverActOnAStalePlan(backend: Backend) async throws {
        let directory = try TemporaryDirectory()
        let database = try await TestDatabase.make(backend, in: directory)
        let first = CountingStore(try await database.open())
        let second = CountingStore(try await database.open())
        let one = Orchestrator(store: first, platforms: .builtIn())
        let two = Orchestrator(store: second, platforms: .builtIn())
        var factory = PlanFactory()
        _ = try await one.post(factory.plan(["A", "B", "C"], [("A", "C"), ("B", "C")]), by: "t")
        _ = try await one.execute(
            .update([StateParam(id: factory.id("A"), state: .running)]), on: factory.datasetID, by: "t")
        #expect(first.loads == 0)  // warm: posted by this instance

        _ = try await two.execute(
            .update([StateParam(id: factory.id("A"), state: .success)]), on: factory.datasetID, by: "t")
        #expect(second.loads == 1)
        let outcome = try await one.execute(
            .update([StateParam(id: factory.id("B"), state: .success)]), on: factory.datasetID, by: "t")
        #expect(first.loads == 1)  // its cached version was behind: reloaded, so it saw A's success
        #expect(outcome.queued.map(\.id) == [factory.id("C")])
        _ = try await one.execute(.pause, on: factory.datasetID, by: "t")
        #expect(first.loads == 1)
    }
}

/// Counts cache misses (plan loads inside a locked transaction).
final class CountingStore: PlanStore {
    private let inner: any PlanStore
    private let count = Mutex(0)

    init(_ inner: any PlanStore) { self.inner = inner }

    var loads: Int { count.withLock { $0 } }

    func withLockedDataset<T: Sendable>(
        _ datasetID: UUID, _ body: @escaping @Sendable (any PlanTransaction) throws -> T
    ) async throws -> T {
        try await inner.withLockedDataset(datasetID) { transaction in
            try body(Counting(inner: transaction, store: self))
        }
    }

    func storedPlan(_ datasetID: UUID) async throws -> PlanState? { try await inner.storedPlan(datasetID) }
    func version(of datasetID: UUID) async throws -> Int64? { try await inner.version(of: datasetID) }
    func dataProduct(_ datasetID: UUID, _ id: UUID) async throws -> DataProduct? {
        try await inner.dataProduct(datasetID, id)
    }
    func search(_ term: String, state: State?, page: Int) async throws -> SearchPage {
        try await inner.search(term, state: state, page: page)
    }
    func pendingMigrationCount() async throws -> Int { try await inner.pendingMigrationCount() }

    private struct Counting: PlanTransaction {
        let inner: any PlanTransaction
        let store: CountingStore
        var storedVersion: Int64? { inner.storedVersion }
        /// Counted once read: a store may ask for the read first (PostgreSQL's `PlanNotRead`).
        func loadPlan() throws -> PlanState? {
            let plan = try inner.loadPlan()
            store.count.withLock { $0 += 1 }
            return plan
        }
        func write(_ delta: PlanDelta, datasetID: UUID, version: Int64, counts: [State: Int], at now: Timestamp)
            throws
        {
            try inner.write(delta, datasetID: datasetID, version: version, counts: counts, at: now)
        }
        func record(_ runs: RunChanges, datasetID: UUID, at now: Timestamp) throws {
            try inner.record(runs, datasetID: datasetID, at: now)
        }
    }
}

extension SQLitePlanStore {
    func migrated() async throws -> SQLitePlanStore {
        try await migrate()
        return self
    }
}
