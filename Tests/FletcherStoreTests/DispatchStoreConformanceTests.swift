import FletcherCore
import FletcherTestSupport
import Foundation
import Testing

/// The outbox and run history behave alike on every store (`docs/dispatch.md` §3).
@Suite("Dispatch store conformance (every backend)")
struct DispatchStoreConformanceTests {
    private let clock = SteppingClock()

    private func seconds(_ s: Double, after t: Timestamp) -> Timestamp {
        Timestamp(microsecondsSinceEpoch: t.microsecondsSinceEpoch + Int64(s * 1_000_000))
    }

    /// A store with `count` eager C-AMS roots posted by a dispatching orchestrator.
    private func posted(_ backend: Backend, _ directory: borrowing TemporaryDirectory, count: Int) async throws
        -> (any FletcherStore, Orchestrator, PlanFactory)
    {
        let store = try await TestDatabase.make(backend, in: directory).open()
        let orchestrator = Orchestrator(store: store, platforms: .builtIn(dispatching: [.cams]), clock: clock)
        var factory = PlanFactory()
        _ = try await orchestrator.post(factory.plan((0..<count).map { "P\($0)" }), by: "t")
        return (store, orchestrator, factory)
    }

    @Test(arguments: Backend.available)
    func queueingWritesARunAndAnOutboxItemInTheSameTransaction(backend: Backend) async throws {
        let directory = try TemporaryDirectory()
        let (store, orchestrator, factory) = try await posted(backend, directory, count: 3)
        let plan = try #require(try await orchestrator.plan(factory.datasetID))
        for product in plan.dataProducts {
            let runs = try await store.runs(factory.datasetID, product.id)
            #expect(runs.count == 1 && runs[0].runID == product.runID && runs[0].state == .queued)
            #expect(runs[0].attempts == 0 && runs[0].externalID == nil && runs[0].compute == .cams)
        }
        let now = clock.now()
        let items = try await store.claim(.cams, now: now, leaseUntil: seconds(30, after: now), limit: 10)
        #expect(Set(items.map(\.runID)) == Set(plan.dataProducts.compactMap(\.runID)))
        #expect(items.allSatisfy { $0.kind == .dispatch && $0.attempt == 1 && $0.isCurrent })
        #expect(items.allSatisfy { $0.product?.name.hasPrefix("P") == true && $0.datasetID == factory.datasetID })
        #expect(try await store.claim(.dbxaas, now: now, leaseUntil: seconds(30, after: now), limit: 10).isEmpty)
    }

    @Test(arguments: Backend.available)
    func concurrentClaimsNeverShareAnItemAndALeaseRunsOut(backend: Backend) async throws {
        let directory = try TemporaryDirectory()
        let (store, _, _) = try await posted(backend, directory, count: 40)
        let now = clock.now()
        let lease = seconds(30, after: now)
        let claims = try await withThrowingTaskGroup(of: [UUID].self) { group in
            for _ in 0..<8 {
                group.addTask { try await store.claim(.cams, now: now, leaseUntil: lease, limit: 7).map(\.runID) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let all = claims.flatMap { $0 }
        #expect(all.count == 40 && Set(all).count == 40, "every item claimed exactly once")
        #expect(try await store.claim(.cams, now: now, leaseUntil: lease, limit: 100).isEmpty)
        let later = seconds(31, after: now)
        let retaken = try await store.claim(.cams, now: later, leaseUntil: seconds(30, after: later), limit: 100)
        #expect(retaken.count == 40, "a dead claimer's items come back when its lease runs out")
    }

    @Test(arguments: Backend.available)
    func pausedDatasetsAreHeldBackAndSupersededAttemptsWithdrawn(backend: Backend) async throws {
        let directory = try TemporaryDirectory()
        var (store, orchestrator, factory) = try await posted(backend, directory, count: 2)
        _ = try await orchestrator.execute(.pause, on: factory.datasetID, by: "t")
        var now = clock.now()
        #expect(try await store.claim(.cams, now: now, leaseUntil: seconds(30, after: now), limit: 10).isEmpty)
        _ = try await orchestrator.execute(.unpause, on: factory.datasetID, by: "t")

        let before = try #require(try await orchestrator.dataProduct(factory.datasetID, factory.id("P0"))?.runID)
        _ = try await orchestrator.execute(.clear([factory.id("P0")]), on: factory.datasetID, by: "t")
        let after = try #require(try await orchestrator.dataProduct(factory.datasetID, factory.id("P0"))?.runID)
        #expect(after != before)
        let runs = try await store.runs(factory.datasetID, factory.id("P0"))
        #expect(runs.map(\.runID) == [after, before] && runs.map(\.state) == [.queued, .superseded])
        now = clock.now()
        let items = try await store.claim(.cams, now: now, leaseUntil: seconds(30, after: now), limit: 10)
        #expect(!items.contains { $0.runID == before }, "an unclaimed submit of a superseded attempt is withdrawn")
        #expect(items.count == 2 && items.allSatisfy(\.isCurrent))
    }

    @Test(arguments: Backend.available)
    func submissionPostponementAndCompletionAreRecorded(backend: Backend) async throws {
        let directory = try TemporaryDirectory()
        let (store, orchestrator, factory) = try await posted(backend, directory, count: 2)
        var now = clock.now()
        let items = try await store.claim(.cams, now: now, leaseUntil: seconds(30, after: now), limit: 10)
        let (first, second) = (items[0], items[1])

        try await store.postpone(first, attempt: 2, until: seconds(5, after: now), error: "C-AMS answered 503")
        #expect(try await store.run(first.runID)?.lastError == "C-AMS answered 503")
        #expect(try await store.claim(.cams, now: now, leaseUntil: seconds(30, after: now), limit: 10).isEmpty)
        let due = seconds(5, after: now)
        let retry = try await store.claim(.cams, now: due, leaseUntil: seconds(30, after: due), limit: 10)
        #expect(retry.map(\.runID) == [first.runID] && retry[0].attempt == 2)

        now = clock.now()
        try await store.recordSubmission(
            first.runID, Submission(externalID: "job-9", link: "https://c.test/9"), at: now)
        let run = try #require(try await store.run(first.runID))
        #expect(run.externalID == "job-9" && run.link == "https://c.test/9" && run.submittedAt == now)
        #expect(run.attempts == 2)
        #expect(try await store.run(.cams, externalID: "job-9")?.runID == first.runID)
        #expect(try await store.liveRuns(.cams, limit: 10).map(\.externalID) == ["job-9"])

        try await store.complete(second, error: "C-AMS answered 400: no such table")
        #expect(try await store.run(second.runID)?.lastError == "C-AMS answered 400: no such table")
        let later = seconds(60, after: now)
        #expect(try await store.claim(.cams, now: later, leaseUntil: seconds(30, after: later), limit: 10).isEmpty)

        // Clearing a submitted attempt queues a cancel for it.
        _ = try await orchestrator.execute(.clear([first.dataProductID]), on: factory.datasetID, by: "t")
        now = clock.now()
        let work = try await store.claim(.cams, now: now, leaseUntil: seconds(30, after: now), limit: 10)
        let cancel = try #require(work.first { $0.kind == .cancel })
        #expect(cancel.runID == first.runID && cancel.externalID == "job-9" && !cancel.dispatchPending)
        #expect(try await store.liveRuns(.cams, limit: 10).isEmpty)
    }

    /// The product's failure and the run's record of why are one commit: no reader sees one
    /// without the other.
    @Test(arguments: Backend.available)
    func aDispatchFailureIsRecordedOnTheRunWithTheProductsFailure(backend: Backend) async throws {
        let directory = try TemporaryDirectory()
        let (store, orchestrator, factory) = try await posted(backend, directory, count: 1)
        let now = clock.now()
        let item = try #require(
            try await store.claim(.cams, now: now, leaseUntil: seconds(30, after: now), limit: 10).first)
        try await store.postpone(item, attempt: 2, until: now, error: "C-AMS answered 503")
        let report = RunReport(
            dataProductID: item.dataProductID, runID: item.runID, state: .failed,
            dispatchFailure: DispatchFailure(kind: .attemptsExhausted, attempts: 2, message: "C-AMS answered 502"))
        #expect(try await orchestrator.report(report, on: factory.datasetID, by: "dispatcher") == .applied)
        let run = try #require(try await store.run(item.runID))
        #expect(run.state == .failed && run.attempts == 2 && run.lastError == "C-AMS answered 502")
    }

    @Test(arguments: Backend.available)
    func callbackDeliveriesAreRememberedThenForgotten(backend: Backend) async throws {
        let directory = try TemporaryDirectory()
        let store = try await TestDatabase.make(backend, in: directory).open()
        let now = clock.now()
        #expect(try await store.callbackSeen(.cams, deliveryID: "msg_1") == false)
        try await store.rememberCallback(.cams, deliveryID: "msg_1", at: now, forgetBefore: seconds(-3_600, after: now))
        try await store.rememberCallback(.cams, deliveryID: "msg_1", at: now, forgetBefore: seconds(-3_600, after: now))
        #expect(try await store.callbackSeen(.cams, deliveryID: "msg_1"))
        #expect(try await store.callbackSeen(.dbxaas, deliveryID: "msg_1") == false)
        let later = seconds(7_200, after: now)
        try await store.rememberCallback(
            .cams, deliveryID: "msg_2", at: later, forgetBefore: seconds(-3_600, after: later))
        #expect(try await store.callbackSeen(.cams, deliveryID: "msg_1") == false)
    }
}

extension DispatchStoreConformanceTests {
    @Test(arguments: Backend.available)
    func queueStatsCountWaitingSubmitsAndTheOldestQueuedAttempt(backend: Backend) async throws {
        let directory = try TemporaryDirectory()
        let store = try await TestDatabase.make(backend, in: directory).open()
        let orchestrator = Orchestrator(store: store, platforms: .builtIn(dispatching: [.cams]), clock: SteppingClock())
        #expect(try await store.queueStats().isEmpty)
        var factory = PlanFactory()
        _ = try await orchestrator.post(factory.plan(["A", "B", "C"]), by: "t")
        let plan = try #require(try await orchestrator.plan(factory.datasetID))
        let stats = try #require(try await store.queueStats()[.cams])
        #expect(stats.waiting == 3)
        #expect(stats.oldestQueuedAt == plan.dataProducts.map(\.modifiedDate).min())
        try await store.recordSubmission(
            plan.dataProducts[0].runID!, Submission(externalID: "1"), at: plan.dataProducts[0].modifiedDate)
        #expect(try await store.queueStats()[.cams]?.waiting == 2, "a submitted attempt no longer waits")
    }
}
