import FletcherCore
import Foundation
import Testing

@Suite("Update states (`docs/concepts.md` §3.3)")
struct UpdateTests {
    @Test(arguments: [State.waiting, .queued, .disabled])
    func statesClientsMayNotSetRejectTheWholeRequest(state: State) throws {
        var h = Harness()
        // Checked before anything else: even an unknown dataset answers 400 here.
        let entries = [StateParam(id: h.id("A"), state: .success), StateParam(id: h.id("B"), state: state)]
        #expect(
            h.refusal(.update(entries))
                == .expect(.badRequest, "The requested state for '\(h.id("B").text)' is invalid: '\(state.rawValue)'"))
        try h.post(["A", "B"])
        #expect(h.refusal(.update(entries))?.status == 400)
        #expect(h.state("A") == .queued)
    }

    @Test func unknownDatasetProductAndDisabledProduct() throws {
        var h = Harness()
        #expect(
            h.refusal(.update([StateParam(id: h.id("A"), state: .success)]))
                == .expect(.notFound, "Dataset not found: '\(h.datasetID.text)'"))
        try h.post(["A", "B"])
        try h.run(.disable([h.id("B")]))
        #expect(
            h.refusal(.update([StateParam(id: h.id("Z"), state: .success)]))
                == .expect(.notFound, "Data product not found for: '\(h.id("Z").text)'"))
        // A refused request changes nothing, even the entries before the bad one.
        let version = h.state!.version
        #expect(
            h.refusal(.update([StateParam(id: h.id("A"), state: .success), StateParam(id: h.id("B"), state: .failed)]))
                == .expect(.forbidden, "Data product is locked: '\(h.id("B").text)'"))
        #expect(h.state!.version == version && h.state("A") == .queued)
    }

    @Test func fieldsAreSetExactlyAsSentAndOmittedOnesBecomeNull() throws {
        var h = Harness()
        try h.post(["A"])
        let runID = UUID()
        try h.run(
            .update([
                StateParam(
                    id: h.id("A"), state: .running, runID: runID, link: "https://r.test/a", passback: ["p": true])
            ]))
        #expect(h.product(named: "A").runID == runID)
        try h.update(("A", .success))
        let a = h.product(named: "A")
        #expect(a.state == .success && a.runID == nil && a.link == nil && a.passback == nil)
    }

    @Test func anyOfTheThreeStatesFromAnyActiveState() throws {
        var h = Harness()
        try h.post(["A"])
        for state in [State.success, .running, .failed, .success, .failed, .running] {
            try h.update(("A", state))
            #expect(h.state("A") == state)
        }
    }

    @Test func childIsQueuedOnlyWhenAllParentsSucceeded() throws {
        var h = Harness()
        try h.post(["A", "B", "C"], [("A", "C"), ("B", "C")])
        try h.update(("A", .success))
        #expect(h.state("C") == .waiting)
        let delta = try h.run(.update([StateParam(id: h.id("B"), state: .success)]))
        #expect(h.state("C") == .queued)
        #expect(h.names(of: delta.queued) == ["C"])
    }

    @Test func oneTriggerPassOnly() throws {
        var h = Harness()
        try h.post(["A", "B", "C"], [("A", "B"), ("B", "C")])
        try h.update(("A", .success))
        #expect(h.states("A", "B", "C") == [.success, .queued, .waiting])
    }

    @Test func nonEagerProductsAreNeverQueuedByTheRule() throws {
        var h = Harness()
        try h.run(.post(h.plan([h.product("A"), h.product("B", eager: false)], [("A", "B")])))
        try h.update(("A", .success))
        #expect(h.state("B") == .waiting)
    }

    @Test func downstreamResetKeepsRunFields() throws {
        var h = Harness()
        try h.post(["A", "B", "C"], [("A", "B"), ("B", "C")])
        let runID = UUID()
        try h.update(("A", .success))
        try h.run(.update([StateParam(id: h.id("B"), state: .success, runID: runID, link: "https://r.test/b")]))
        try h.update(("C", .failed))
        try h.update(("A", .running))
        #expect(h.states("A", "B", "C") == [.running, .waiting, .waiting])
        #expect(h.product(named: "B").runID == runID && h.product(named: "B").link == "https://r.test/b")
    }

    @Test func successAndFailureTogetherLeaveTheChildQueued() throws {
        // compat, tested upstream: [A success, B failed] for A → B leaves B queued.
        var h = Harness()
        try h.post(["A", "B"], [("A", "B")])
        try h.update(("A", .success), ("B", .failed))
        #expect(h.states("A", "B") == [.success, .queued])
    }

    @Test func aRepeatedIdIsAppliedInOrder() throws {
        var h = Harness()
        try h.post(["A"])
        try h.update(("A", .running), ("A", .failed))
        #expect(h.state("A") == .failed)
    }

    @Test func linksMustBeAbsoluteHTTPURLs() throws {
        var h = Harness()
        try h.post(["A"])
        let bad = [
            "javascript:alert(1)", "/relative", "ftp://x.test/a", "https://", "", "https:///path", "https://x.test/a b",
            "https://x.test/\u{7}", "https://x.test/\u{85}", "http:/x.test",
        ]
        for bad in bad {
            #expect(
                h.refusal(.update([StateParam(id: h.id("A"), state: .running, link: bad)]))
                    == .expect(.badRequest, "Invalid value for '[0].link': must be an absolute http(s) URL"))
        }
        let long = "https://x.test/" + String(repeating: "a", count: 4_096)
        #expect(h.refusal(.update([StateParam(id: h.id("A"), state: .running, link: long)]))?.status == 400)
        // The rule is the `pattern` of `link` in the API document: scheme, host, no space or control.
        for good in ["HTTPS://x.test/run?id=1", "http://x.test", "https://x.test:8443#top", "https://ü.test/ä?q=<1>"] {
            #expect(h.refusal(.update([StateParam(id: h.id("A"), state: .running, link: good)])) == nil, "\(good)")
        }
    }

    @Test func descendantWalkDoesNotPassThroughDisabledProducts() throws {
        var h = Harness()
        try h.post(["A", "B", "C"], [("A", "B"), ("B", "C")])
        try h.update(("C", .success))
        try h.run(.disable([h.id("B")]))
        try h.update(("A", .failed))
        #expect(h.state("C") == .success)
    }
}
