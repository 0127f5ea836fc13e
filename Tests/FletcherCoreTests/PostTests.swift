import FletcherCore
import Foundation
import Testing

@Suite("Post a plan (`docs/concepts.md` §3.2)")
struct PostTests {
    @Test func newPlanStartsWaitingAndQueuesEagerRoots() throws {
        var h = Harness()
        let plan = h.plan([h.product("A"), h.product("B"), h.product("R", eager: false)], [("A", "B")])
        let delta = try h.run(.post(plan))
        #expect(h.states("A", "B", "R") == [.queued, .waiting, .waiting])
        #expect(h.names(of: delta.queued) == ["A"])
        #expect(delta.createsDataset)
        #expect(h.state?.dataset.paused == false)
        #expect(h.product(named: "B").runID == nil && h.product(named: "B").link == nil)
    }

    @Test func duplicateProductIsRefusedFirst() {
        var h = Harness()
        let a = h.product("A")
        // Also a duplicate dependency and an unknown id: the duplicate product must win.
        let plan = h.plan([a, h.product("B"), a], [("A", "B"), ("A", "B"), ("X", "B")])
        #expect(
            h.refusal(.post(plan)) == .expect(.badRequest, "Duplicate data-product id in parameter: '\(a.id.text)'"))
        #expect(h.state == nil)
    }

    @Test func duplicateDependencyIsRefusedBeforeUnknownIds() {
        var h = Harness()
        let plan = h.plan([h.product("A"), h.product("B")], [("A", "B"), ("X", "B"), ("A", "B")])
        #expect(
            h.refusal(.post(plan))
                == .expect(.badRequest, "Duplicate dependency in parameter: '\(h.id("A").text)' -> '\(h.id("B").text)'")
        )
    }

    @Test func unknownParentsAreReportedBeforeUnknownChildren() {
        var h = Harness()
        // The first dependency has an unknown child, the second an unknown parent: parents are checked first.
        let plan = h.plan([h.product("A")], [("A", "Y"), ("X", "A")])
        #expect(h.refusal(.post(plan)) == .expect(.notFound, "Data product not found for: '\(h.id("X").text)'"))
        let childOnly = h.plan([h.product("A")], [("A", "Y")])
        #expect(h.refusal(.post(childOnly)) == .expect(.notFound, "Data product not found for: '\(h.id("Y").text)'"))
    }

    @Test func cyclesAreRefusedIncludingSelfEdges() throws {
        var h = Harness()
        #expect(h.refusal(.post(h.plan([h.product("A"), h.product("B")], [("A", "B"), ("B", "A")]))) == .cyclical)
        #expect(h.refusal(.post(h.plan([h.product("A")], [("A", "A")]))) == .cyclical)
        // A cycle formed by a stored edge and a requested one.
        try h.post(["A", "B"], [("A", "B")])
        let before = h.state!.version
        #expect(h.refusal(.post(h.plan([], [("B", "A")]))) == .cyclical)
        #expect(h.state!.version == before)
    }

    @Test func aCycleThroughADisabledProductIsNotACycle() throws {
        var h = Harness()
        try h.post(["A", "B", "C"], [("A", "B"), ("B", "C")])
        try h.run(.disable([h.id("B")]))
        // C → A closes A → B → C only through disabled B. Re-posting B keeps it disabled.
        try h.run(.post(h.plan([h.product("A"), h.product("B"), h.product("C")], [("C", "A"), ("B", "A")])))
        #expect(h.state("B") == .disabled)
        #expect(h.state!.dependencies.count == 4)
    }

    @Test func aDependencyOnAStoredDisabledProductIsUnknown() throws {
        var h = Harness()
        try h.post(["A", "B"])
        try h.run(.disable([h.id("B")]))
        let plan = h.plan([h.product("C")], [("B", "C")])
        #expect(h.refusal(.post(plan)) == .expect(.notFound, "Data product not found for: '\(h.id("B").text)'"))
    }

    @Test func repostKeepsProgressAndReplacesDefinitions() throws {
        var h = Harness()
        var a = h.product("A", eager: false)
        a.passthrough = ["k": 1]
        a.extra = ["note": "first"]
        try h.run(.post(h.plan([a, h.product("B")], [("A", "B")], extra: ["team": "gl"])))
        let runID = UUID()
        try h.run(
            .update([StateParam(id: h.id("A"), state: .success, runID: runID, link: "https://x.test/1", passback: [1])])
        )
        try h.run(.pause)

        var a2 = h.product("A", eager: true)
        a2.name = "A renamed"
        a2.version = "2.0"
        try h.run(.post(h.plan([a2], [])))
        let stored = h.product(named: "A")
        #expect(stored.name == "A renamed" && stored.version == "2.0" && stored.eager)
        #expect(stored.passthrough == nil && stored.extra == nil)  // omitted optional JSON → null
        #expect(stored.state == .success && stored.runID == runID && stored.link == "https://x.test/1")
        #expect(stored.passback == [1])
        #expect(h.state!.dataset.extra == nil)  // replaced
        #expect(h.state!.dataset.paused)  // never changed by a post
        #expect(h.state!.dependencies.map(\.edge) == [Edge(parent: h.id("A"), child: h.id("B"))])  // absent edges stay
    }

    @Test func repostNeverReenablesADisabledProduct() throws {
        var h = Harness()
        try h.post(["A"])
        try h.run(.disable([h.id("A")]))
        try h.post(["A"])
        #expect(h.state("A") == .disabled)
    }

    @Test func newProductsAndEdgesAreAppendedInRequestOrder() throws {
        var h = Harness()
        try h.post(["B", "A"], [("B", "A")])
        try h.run(.post(h.plan([h.product("C"), h.product("A"), h.product("D")], [("C", "D"), ("B", "A")])))
        #expect(h.state!.products.map(\.name) == ["B", "A", "C", "D"])
        #expect(h.state!.dependencies.map(\.edge) == [h.edge("B", "A"), h.edge("C", "D")])
    }

    @Test func everyPostedRowIsStamped() throws {
        var h = Harness()
        try h.post(["A", "B"], [("A", "B")])
        h.actor = "second"
        try h.post(["A"])
        #expect(h.product(named: "A").modifiedBy == "second")
        #expect(h.product(named: "B").modifiedBy == "tester")
        #expect(h.state!.dataset.modifiedBy == "second")
    }

    @Test func valuesAreValidatedNamingTheField() {
        var h = Harness()
        var empty = h.product("A")
        empty.name = ""
        #expect(
            h.refusal(.post(h.plan([h.product("B"), empty])))
                == .expect(.badRequest, "Invalid value for 'data_products[1].name': must not be empty"))
        var long = h.product("A")
        long.version = String(repeating: "v", count: 1_001)
        #expect(
            h.refusal(.post(h.plan([long])))
                == .expect(
                    .badRequest,
                    "Invalid value for 'data_products[0].version': must be at most 1000 characters, got 1001"))
        var exactly = h.product("A")
        exactly.version = String(repeating: "v", count: 1_000)
        #expect(h.refusal(.post(h.plan([exactly]))) == nil)
        // Lengths count code points, as the API document's maxLength does: 1,001 of them are too
        // many even when they draw as 501 characters.
        var combined = h.product("A")
        combined.name = "e" + String(repeating: "e\u{301}", count: 500)
        #expect(
            h.refusal(.post(h.plan([combined])))
                == .expect(
                    .badRequest, "Invalid value for 'data_products[0].name': must be at most 1000 characters, got 1001")
        )
    }

    @Test func aPlatformsPassthroughRuleAppliesWhileItIsDispatched() {
        var h = Harness()
        let missing = h.product("S", compute: .strict, passthrough: ["queue": 12])
        #expect(h.refusal(.post(h.plan([missing]))) == nil)  // external mode: anything goes
        h = Harness()
        h.dispatching = [.strict]
        let bad = h.product("S", compute: .strict, passthrough: ["queue": 12])
        let error = h.refusal(.post(h.plan([bad])))
        #expect(error?.status == 400)
        #expect(
            error?.message
                == "Invalid value for 'data_products[0].passthrough.queue': must be a string "
                + "(data product '\(bad.id.text)' runs on Strict)")
        #expect(h.refusal(.post(h.plan([h.product("E", compute: .strict, passthrough: ["queue": "q"])]))) == nil)
    }

    @Test func aComputeNoPluginHasIsRefusedNamingTheKnownOnes() throws {
        var h = Harness()
        let unknown = h.product("X", compute: try #require(Compute(rawValue: "kubernetes")))
        let error = h.refusal(.post(h.plan([h.product("A"), unknown])))
        #expect(error?.status == 400)
        #expect(
            error?.message
                == "Invalid value for 'data_products[1].compute': unknown compute 'kubernetes' (known: cams, dbxaas, strict)"
        )
        #expect(h.state == nil, "nothing was stored")
    }

    @Test func computeNamesAreLowercaseWords() {
        for valid in ["cams", "dbxaas", "k8s_batch", "a"] { #expect(Compute(rawValue: valid) != nil, "\(valid)") }
        for invalid in ["", "CAMS", "9lives", "_x", "c-ams", "cams ", String(repeating: "a", count: 64)] {
            #expect(Compute(rawValue: invalid) == nil, "\(invalid)")
        }
    }
}

extension Harness {
    mutating func edge(_ parent: String, _ child: String) -> Edge {
        Edge(parent: id(parent), child: id(child))
    }
}

/// A cached plan lives long, so the rows a post adds are kept without spare room: arrays grown by
/// doubling as rows are appended, and rows encoded into buffers sized for the longest row, left
/// up to half of a cached plan's memory unused (`docs/benchmarks.md`, P4). Only a big plan keeps
/// its JSON with its rows; a small one is encoded when asked.
@Suite("A plan as cached")
struct CachedPlanSizeTests {
    private func chain(_ names: [String]) -> [(String, String)] {
        zip(names.dropLast(), names.dropFirst()).map { ($0, $1) }
    }

    @Test func rowsAddedByPostsAreKeptWithoutSpareRoom() throws {
        var h = Harness()
        let names = (0..<PlanState.keptJSONProducts).map { "P\($0)" }
        _ = try h.post(names, chain(names))
        // A second post adds rows to the stored ones.
        let more = names + (0..<7).map { "Q\($0)" }
        _ = try h.post(more, chain(more))
        let state = try #require(h.state)
        #expect(state.products.count == names.count + 7 && state.dependencies.count == names.count + 6)
        // malloc may hand out up to 31 bytes more than asked: its 16-byte rounding, or a free
        // block whose rest was too small to split off. More than that is room left by growing.
        func spare<Row>(_ rows: [Row]) -> Int { (rows.capacity - rows.count) * MemoryLayout<Row>.stride }
        #expect(spare(state.products) < 32 && spare(state.dependencies) < 32)
        let json = try #require(state.keptJSON, "a plan of \(state.products.count) products keeps its JSON")
        #expect(spare(json.products) < 32 && spare(json.dependencies) < 32)
        // The writer's own buffer is 320 bytes for a product and 200 for a dependency.
        for row in json.products + json.dependencies {
            let room = spare(row)
            #expect(room < 32, "a row of \(row.count) bytes holds \(row.capacity)")
        }
    }

    @Test func aSmallPlanKeepsNoJSONUntilItGrowsBig() throws {
        var h = Harness()
        let names = (0..<PlanState.keptJSONProducts - 1).map { "P\($0)" }
        _ = try h.post(names, chain(names))
        _ = try h.run(.update([StateParam(id: h.id("P0"), state: .success)]))
        var state = try #require(h.state)
        #expect(state.keptJSON == nil)
        #expect(state.json.bytes == (try PlanJSONTests.encoderBytes(state.plan)), "encoded when asked")

        let more = names + ["Q"]
        _ = try h.post(more, chain(more))
        _ = try h.run(.update([StateParam(id: h.id("Q"), state: .running)]))
        state = try #require(h.state)
        #expect(state.keptJSON?.bytes == (try PlanJSONTests.encoderBytes(state.plan)), "kept from the post on")
    }
}
