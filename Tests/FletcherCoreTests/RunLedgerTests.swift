import FletcherCore
import Foundation
import Testing

/// What each command does to attempts (`docs/dispatch.md` §3): the rows the orchestrator writes to the
/// run history and the outbox in the same transaction.
@Suite("Run ledger")
struct RunLedgerTests {
    private func dispatching() throws -> Harness {
        var h = Harness()
        h.dispatching = [.cams]
        try h.post(["A", "B"], [("A", "B")])
        return h
    }

    @Test func queueingADispatchedProductStartsOneAttempt() throws {
        var h = Harness()
        h.dispatching = [.cams]
        try h.run(.post(h.plan([h.product("A"), h.product("D", compute: .dbxaas, passthrough: ["job_id": 1])])))
        #expect(h.lastRuns.started.map(\.dataProductID) == [h.id("A")])
        #expect(h.lastRuns.started.first?.runID == h.product(named: "A").runID)
        #expect(h.lastRuns.dispatchComputes == [.cams], "DBXaaS does not dispatch here")
        #expect(h.lastRuns.progressed.isEmpty && h.lastRuns.superseded.isEmpty)
    }

    @Test func externalModeRecordsNothing() throws {
        var h = Harness()
        try h.post(["A", "B"], [("A", "B")])
        try h.update(("A", .success))
        #expect(h.lastRuns.isEmpty)
    }

    @Test func aReportProgressesItsRunAndASuccessStartsTheChild() throws {
        var h = try dispatching()
        let run = h.product(named: "A").runID!
        try h.run(.report(RunReport(dataProductID: h.id("A"), runID: run, state: .running, link: "https://p.test/1")))
        let progress = try #require(h.lastRuns.progressed.first)
        #expect(h.lastRuns.progressed.count == 1)
        #expect(progress.runID == run && progress.state == .running && progress.link == "https://p.test/1")
        try h.run(.report(RunReport(dataProductID: h.id("A"), runID: run, state: .success, passback: ["n": 1])))
        #expect(h.lastRuns.progressed.map(\.state) == [.success])
        #expect(h.lastRuns.progressed.first?.passback == ["n": 1])
        #expect(h.lastRuns.started.map(\.dataProductID) == [h.id("B")])
        #expect(h.lastRuns.superseded.isEmpty)
    }

    @Test func aDispatchFailureGoesOnTheRunWithTheProductsFailure() throws {
        var h = try dispatching()
        let run = h.product(named: "A").runID!
        let failure = DispatchFailure(kind: .attemptsExhausted, attempts: 3, message: "C-AMS answered 503")
        try h.run(.report(RunReport(dataProductID: h.id("A"), runID: run, state: .failed, dispatchFailure: failure)))
        #expect(h.product(named: "A").state == .failed)
        #expect(h.lastRuns.progressed.map(\.failure) == [failure])
        #expect(h.lastRuns.dispatchComputes.isEmpty, "a failure gives dispatchers nothing to do")
        try h.run(.clear([h.id("A")]))
        let retry = h.product(named: "A").runID!
        try h.run(.report(RunReport(dataProductID: h.id("A"), runID: retry, state: .failed)))
        #expect(h.lastRuns.progressed.map(\.failure) == [nil], "a platform's own failure is not the dispatcher's")
    }

    @Test func clearingALiveAttemptSupersedesItAndStartsAnother() throws {
        var h = try dispatching()
        let first = h.product(named: "A").runID!
        try h.run(.clear([h.id("A")]))
        #expect(h.lastRuns.superseded == [first])
        #expect(h.lastRuns.dispatchComputes == [.cams])
        #expect(h.lastRuns.started.map(\.runID) == [h.product(named: "A").runID!])
        #expect(h.product(named: "A").runID != first)
    }

    @Test func disablingOrOverridingALiveAttemptSupersedesIt() throws {
        var h = try dispatching()
        let run = h.product(named: "A").runID!
        try h.update(("A", .success))
        #expect(h.lastRuns.superseded == [run], "an operator's state overrides the platform's run")
        let child = h.product(named: "B").runID!
        try h.run(.disable([h.id("B")]))
        #expect(h.lastRuns.superseded == [child])
    }

    @Test func aDownstreamResetSupersedesTheDescendantsLiveAttempts() throws {
        var h = try dispatching()
        try h.run(.report(RunReport(dataProductID: h.id("A"), runID: h.product(named: "A").runID!, state: .success)))
        let child = h.product(named: "B").runID!
        let parent = h.product(named: "A").runID!
        try h.run(.clear([h.id("A")]))
        #expect(Set(h.lastRuns.superseded) == [child], "A's attempt had finished: only B's was live")
        #expect(h.lastRuns.started.map(\.dataProductID) == [h.id("A")])
        #expect(h.product(named: "A").runID != parent)
    }

    @Test func aStaleReportRecordsNothing() throws {
        var h = try dispatching()
        try h.run(.report(RunReport(dataProductID: h.id("A"), runID: UUID(), state: .success)))
        #expect(h.lastRuns.isEmpty)
    }
}

@Suite("Backoff")
struct BackoffTests {
    @Test func fullJitterStaysUnderTheDoublingCeilingAndTheCap() {
        let backoff = Backoff(base: 1, cap: 300)
        #expect(backoff.delay(after: 1, retryAfter: nil, unit: 0.999) < 1)
        #expect(backoff.delay(after: 4, retryAfter: nil, unit: 0.5) == 4)
        #expect(backoff.delay(after: 4, retryAfter: nil, unit: 0) == 0)
        #expect(backoff.delay(after: 30, retryAfter: nil, unit: 0.999_999) <= 300)
        #expect(backoff.delay(after: 1_000, retryAfter: nil, unit: 1) == 300)
    }

    @Test func retryAfterIsAFloorUpToAnHour() {
        let backoff = Backoff(base: 1, cap: 5)
        #expect(backoff.delay(after: 1, retryAfter: 30, unit: 0.5) == 30)
        #expect(backoff.delay(after: 1, retryAfter: 86_400, unit: 0.5) == Backoff.longestRetryAfter)
    }

    /// The live rule is written once: the run history's live states are the product's, every one
    /// of them (the stores' poller queries are built from this list).
    @Test func theRunHistorysLiveStatesAreTheProductsLiveStates() {
        #expect(Set(RunState.live.map(\.rawValue)) == Set(State.live.map(\.rawValue)))
        #expect(RunState.live == [.queued, .running])
    }
}
