import FletcherCore
import Foundation
import Testing

@Suite("Clear, disable, pause (docs/concepts.md §3.4–3.6)")
struct ClearDisablePauseTests {
    @Test func clearResetsTheProductAndItsDescendantsAndRequeuesAnEagerRoot() throws {
        var h = Harness()
        try h.post(["A", "B", "C", "X"], [("A", "B"), ("B", "C")])
        let runID = UUID()
        try h.run(.update([StateParam(id: h.id("A"), state: .success, runID: runID)]))
        try h.update(("B", .success))
        try h.update(("C", .success), ("X", .success))
        let delta = try h.run(.clear([h.id("A")]))
        #expect(h.states("A", "B", "C", "X") == [.queued, .waiting, .waiting, .success])
        #expect(h.product(named: "A").runID == runID)  // run fields kept (external mode)
        #expect(h.names(of: delta.queued) == ["A"])
    }

    @Test func clearOfAChildWithSucceededParentsRequeuesIt() throws {
        var h = Harness()
        try h.post(["A", "B"], [("A", "B")])
        try h.update(("A", .success))
        try h.update(("B", .failed))
        try h.run(.clear([h.id("B")]))
        #expect(h.state("B") == .queued)
    }

    @Test func clearWhilePausedLeavesTheChainWaiting() throws {
        var h = Harness()
        try h.post(["A", "B"], [("A", "B")])
        try h.update(("A", .success))
        try h.update(("B", .success))
        try h.run(.pause)
        try h.run(.clear([h.id("A")]))
        #expect(h.states("A", "B") == [.waiting, .waiting])
        let delta = try h.run(.unpause)
        #expect(h.states("A", "B") == [.queued, .waiting])
        #expect(h.names(of: delta.queued) == ["A"])
    }

    @Test func clearRefusesUnknownAndDisabledProducts() throws {
        var h = Harness()
        #expect(h.refusal(.clear([h.id("A")])) == .expect(.notFound, "Dataset not found: '\(h.datasetID.text)'"))
        try h.post(["A", "B"])
        try h.run(.disable([h.id("B")]))
        #expect(h.refusal(.clear([h.id("Q")])) == .expect(.notFound, "Data product not found for: '\(h.id("Q").text)'"))
        #expect(
            h.refusal(.clear([h.id("A"), h.id("B")]))
                == .expect(.forbidden, "Data product is locked: '\(h.id("B").text)'"))
    }

    @Test func disableRefusesUnknownAlreadyDisabledAndRepeatedIds() throws {
        var h = Harness()
        try h.post(["A", "B"])
        #expect(
            h.refusal(.disable([h.id("Q")])) == .expect(.notFound, "Data product not found for: '\(h.id("Q").text)'"))
        #expect(
            h.refusal(.disable([h.id("A"), h.id("A")]))
                == .expect(.forbidden, "Data product is locked: '\(h.id("A").text)'"))
        #expect(h.state("A") == .queued)  // the refused request changed nothing
        try h.run(.disable([h.id("A")]))
        #expect(h.refusal(.disable([h.id("A")])) == .expect(.forbidden, "Data product is locked: '\(h.id("A").text)'"))
    }

    @Test func disableKeepsRunFieldsAndDoesNotResetDescendants() throws {
        var h = Harness()
        try h.post(["A", "B"], [("A", "B")])
        let runID = UUID()
        try h.run(.update([StateParam(id: h.id("A"), state: .success, runID: runID)]))
        try h.update(("B", .success))
        try h.run(.disable([h.id("A")]))
        #expect(h.states("A", "B") == [.disabled, .success])
        #expect(h.product(named: "A").runID == runID)
    }

    @Test func disableUnblocksAChildWaitingOnlyForThatParent() throws {
        var h = Harness()
        try h.run(
            .post(h.plan([h.product("A"), h.product("B", eager: false), h.product("C")], [("A", "C"), ("B", "C")])))
        try h.update(("A", .success))
        #expect(h.state("C") == .waiting)
        let delta = try h.run(.disable([h.id("B")]))
        #expect(h.state("C") == .queued)
        #expect(h.names(of: delta.queued) == ["C"])
    }

    @Test func pauseTwiceAndUnpauseTwiceAreRefused() throws {
        var h = Harness()
        #expect(h.refusal(.pause) == .expect(.notFound, "Dataset not found: '\(h.datasetID.text)'"))
        try h.post(["A"])
        #expect(
            h.refusal(.unpause)
                == .expect(.badRequest, "Dataset '\(h.datasetID.text)' pause state is already set to: 'false'"))
        try h.run(.pause)
        #expect(
            h.refusal(.pause)
                == .expect(.badRequest, "Dataset '\(h.datasetID.text)' pause state is already set to: 'true'"))
    }

    @Test func pauseChangesNoProductAndHoldsBackTriggers() throws {
        var h = Harness()
        try h.post(["A", "B"], [("A", "B")])
        let delta = try h.run(.pause)
        #expect(delta.products.isEmpty && delta.dataset?.paused == true)
        #expect(h.state("A") == .queued)
        try h.update(("A", .success))
        #expect(h.state("B") == .waiting)
        try h.run(.unpause)
        #expect(h.state("B") == .queued)
    }

    @Test func postingToAPausedDatasetQueuesNothing() throws {
        var h = Harness()
        try h.post(["A"])
        try h.run(.pause)
        try h.post(["A", "N"])
        #expect(h.state("N") == .waiting)
    }
}
