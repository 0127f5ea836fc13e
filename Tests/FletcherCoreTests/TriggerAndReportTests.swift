import FletcherCore
import Foundation
import Testing

@Suite("Trigger and adapter reports (`docs/concepts.md` §3.1, §3.7, §3.8)")
struct TriggerAndReportTests {
    @Test func triggerQueuesAWaitingNonEagerProductWhoseParentsSucceeded() throws {
        var h = Harness()
        try h.run(.post(h.plan([h.product("A"), h.product("B", eager: false)], [("A", "B")])))
        try h.update(("A", .success))
        let delta = try h.run(.trigger([h.id("B")]))
        #expect(h.state("B") == .queued)
        #expect(h.names(of: delta.queued) == ["B"])
    }

    @Test func triggerRefusals() throws {
        var h = Harness()
        #expect(h.refusal(.trigger([h.id("A")]))?.status == 404)
        try h.run(
            .post(h.plan([h.product("A", eager: false), h.product("B", eager: false), h.product("D")], [("A", "B")])))
        try h.run(.disable([h.id("D")]))
        #expect(
            h.refusal(.trigger([h.id("Q")])) == .expect(.notFound, "Data product not found for: '\(h.id("Q").text)'"))
        #expect(h.refusal(.trigger([h.id("D")])) == .expect(.forbidden, "Data product is locked: '\(h.id("D").text)'"))
        let parents = h.refusal(.trigger([h.id("B")]))
        #expect(parents?.status == 409 && parents?.message.contains(h.id("B").text) == true)
        try h.update(("A", .running))
        let notWaiting = h.refusal(.trigger([h.id("A")]))
        #expect(notWaiting?.status == 409 && notWaiting?.message.contains("'running'") == true)
        // Listed twice: the first mention queues it, so the second is no longer waiting.
        try h.update(("A", .success))
        #expect(h.refusal(.trigger([h.id("B"), h.id("B")]))?.status == 409)
        try h.run(.pause)
        let paused = h.refusal(.trigger([h.id("B")]))
        #expect(paused?.status == 409 && paused?.message.contains("paused") == true)
        #expect(h.state("B") == .waiting)
    }

    @Test func queueingKeepsRunFieldsInExternalModeAndIssuesAFreshRunIDWhenDispatching() throws {
        var h = Harness()
        try h.post(["A"])
        let old = UUID()
        try h.run(.update([StateParam(id: h.id("A"), state: .failed, runID: old, link: "https://r.test/1")]))
        try h.run(.clear([h.id("A")]))
        #expect(h.product(named: "A").runID == old && h.product(named: "A").link == "https://r.test/1")

        h.dispatching = [.cams]
        try h.run(.clear([h.id("A")]))
        #expect(h.state("A") == .queued)
        #expect(h.product(named: "A").runID == h.issuedRunIDs.last)
        #expect(h.issuedRunIDs.count == 1)
    }

    @Test func onlyDispatchedComputeTypesGetRunIDs() throws {
        var h = Harness()
        h.dispatching = [.dbxaas]
        try h.run(.post(h.plan([h.product("C"), h.product("D", compute: .dbxaas, passthrough: ["job_id": 7])])))
        #expect(h.product(named: "C").runID == nil)
        #expect(h.product(named: "D").runID != nil)
    }

    private func dispatchedPlan() throws -> (Harness, UUID) {
        var h = Harness()
        h.dispatching = [.cams]
        try h.post(["A", "B"], [("A", "B")])
        return (h, h.product(named: "A").runID!)
    }

    @Test func aReportForTheLiveAttemptApplies() throws {
        var (h, run) = try dispatchedPlan()
        try h.run(
            .report(RunReport(dataProductID: h.id("A"), runID: run, state: .running, link: "https://cams.test/1")))
        #expect(h.state("A") == .running && h.product(named: "A").link == "https://cams.test/1")
        let delta = try h.run(
            .report(RunReport(dataProductID: h.id("A"), runID: run, state: .success, passback: ["rows": 3])))
        let a = h.product(named: "A")
        #expect(a.state == .success && a.runID == run)
        #expect(a.link == "https://cams.test/1")  // kept: the report carried none
        #expect(a.passback == ["rows": 3])
        #expect(h.state("B") == .queued && h.names(of: delta.queued) == ["B"])
    }

    @Test func staleReportsAreIgnored() throws {
        var (h, run) = try dispatchedPlan()
        let other = UUID()
        #expect(try h.run(.report(RunReport(dataProductID: h.id("A"), runID: other, state: .success))).stale)
        #expect(try h.run(.report(RunReport(dataProductID: h.id("Q"), runID: run, state: .success))).stale)
        // An operator override makes the attempt's later reports stale.
        try h.run(.update([StateParam(id: h.id("A"), state: .failed, runID: run)]))
        #expect(try h.run(.report(RunReport(dataProductID: h.id("A"), runID: run, state: .success))).stale)
        #expect(h.state("A") == .failed)
        // A cleared product has a new attempt; the old one's reports are stale.
        try h.run(.clear([h.id("A")]))
        #expect(try h.run(.report(RunReport(dataProductID: h.id("A"), runID: run, state: .running))).stale)
        // Reports never touch a disabled product.
        let current = h.product(named: "A").runID!
        try h.run(.disable([h.id("A")]))
        #expect(try h.run(.report(RunReport(dataProductID: h.id("A"), runID: current, state: .running))).stale)
        #expect(h.state("A") == .disabled)
    }

    @Test func aReportOfTheCurrentStateChangesNothing() throws {
        var (h, run) = try dispatchedPlan()
        try h.run(.report(RunReport(dataProductID: h.id("A"), runID: run, state: .running)))
        let delta = try h.run(
            .report(RunReport(dataProductID: h.id("A"), runID: run, state: .running, link: "https://x.test")))
        #expect(delta.isEmpty && !delta.stale)
    }

    @Test func aFailureReportResetsDescendants() throws {
        var (h, run) = try dispatchedPlan()
        try h.run(.report(RunReport(dataProductID: h.id("A"), runID: run, state: .success)))
        let childRun = h.product(named: "B").runID!
        try h.run(.report(RunReport(dataProductID: h.id("B"), runID: childRun, state: .success)))
        // Operator re-runs A, the platform later reports the new attempt failed.
        try h.run(.clear([h.id("A")]))
        let newRun = h.product(named: "A").runID!
        #expect(newRun != run)
        try h.run(.report(RunReport(dataProductID: h.id("A"), runID: newRun, state: .failed)))
        #expect(h.states("A", "B") == [.failed, .waiting])
    }
}
