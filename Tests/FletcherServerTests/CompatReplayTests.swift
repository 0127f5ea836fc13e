import FletcherCore
import FletcherTestSupport
import Foundation
import Testing

/// Replays what a client of the earlier Rust service does (its load-test flow), unchanged:
/// log in as `local`, post the accounting plan, drive every product to success, clear all, and
/// again with the older path spellings — checking the whole plan after every call.
@Suite("A client of the Rust service works unchanged")
struct CompatReplayTests {
    @Test(arguments: Backend.available)
    func theLoadTestFlowRunsOnBothPathSpellings(backend: Backend) async throws {
        let directory = try TemporaryDirectory()
        let store = try await TestDatabase.make(backend, in: directory).open()
        try await withFletcher(services: nil, store: store) { api in
            let key = try #require(api.localKey)
            let token = try await api.token("local", key: key)
            var pipeline = AccountingPipeline()
            let posted = try await api.call("POST", "/api/plan", body: pipeline.planJSON(), token: token)
            #expect(posted.status == 200)
            var expected = pipeline.initialStates()
            try expectStates(try posted.decode(Plan.self), expected, pipeline, "after post")

            let spellings: [(update: String, clear: String)] = [
                ("/api/data_product/\(pipeline.datasetID)/update", "/api/data_product/\(pipeline.datasetID)/clear"),
                ("/api/data_product/update/\(pipeline.datasetID)", "/api/data_product/clear/\(pipeline.datasetID)"),
            ]
            for spelling in spellings {
                // Run whatever can run, as the load test does, until everything succeeded.
                while let next = pipeline.runnable(expected) {
                    for state in [State.running, .success] {
                        let body = #"[{"id": "\#(pipeline.ids[next]!)", "state": "\#(state.rawValue)"}]"#
                        let reply = try await api.call("PUT", spelling.update, body: body, token: token)
                        #expect(reply.status == 200, "\(reply.text)")
                        expected = pipeline.apply(next, state, to: expected)
                        try expectStates(try reply.decode(Plan.self), expected, pipeline, "\(next) \(state)")
                    }
                }
                #expect(expected.values.allSatisfy { $0 == .success })

                let all = "[" + pipeline.names.map { "\"\(pipeline.ids[$0]!)\"" }.joined(separator: ",") + "]"
                let cleared = try await api.call("PUT", spelling.clear, body: all, token: token)
                #expect(cleared.status == 200)
                expected = pipeline.initialStates()
                try expectStates(try cleared.decode(Plan.self), expected, pipeline, "after clear")
                let fetched = try await api.call("GET", "/api/plan/\(pipeline.datasetID)")
                try expectStates(try fetched.decode(Plan.self), expected, pipeline, "read back")
            }
            // The search as the Rust service's clients read it: their fields, unchanged; the
            // fields added since (paused, counts) are ignored by their decoders.
            let found = try await api.call("GET", "/api/plan/search?search_by=\(pipeline.datasetID)&page=0")
            #expect(found.status == 200)
            let page = try found.decode(UpstreamSearchPage.self)
            #expect(page.next_page == nil)
            #expect(page.rows.map(\.dataset_id) == [pipeline.datasetID])
            #expect(page.rows.first?.modified_date.hasSuffix("Z") == true)
        }
    }

    private func expectStates(_ plan: Plan, _ expected: [String: State], _ pipeline: AccountingPipeline, _ step: String)
        throws
    {
        let actual = Dictionary(uniqueKeysWithValues: plan.dataProducts.map { (pipeline.name(of: $0.id), $0.state) })
        #expect(actual == expected, "\(step)")
        #expect(plan.dataProducts.map(\.name) == pipeline.names, "stable order")
        #expect(plan.dependencies.count == 16)
    }
}

/// The 11-product, 16-edge accounting plan of `docs/benchmarks.md`, and the trigger rule as a client
/// expects it to behave.
struct AccountingPipeline {
    let datasetID = UUID().lowercasedString
    let names = [
        "BKPF", "BSEG", "T001", "GLT0", "MIDA", "EDM_GL", "EDM_TB", "Alchemy", "FSLI Mapping", "Journals 1000",
        "Journals 2000",
    ]
    let eager: Set<String> = ["MIDA", "EDM_GL", "EDM_TB", "Alchemy", "Journals 1000"]
    let parents: [String: [String]] = [
        "EDM_GL": ["BKPF", "BSEG", "T001"], "EDM_TB": ["BSEG", "T001", "GLT0"], "Alchemy": ["EDM_GL", "EDM_TB"],
        "Journals 1000": ["EDM_GL", "EDM_TB", "FSLI Mapping", "MIDA"],
        "Journals 2000": ["EDM_GL", "EDM_TB", "FSLI Mapping", "MIDA"],
    ]
    private(set) var ids: [String: String] = [:]

    init() {
        for name in names { ids[name] = UUID().uuidString }  // uppercase on purpose: output must be lowercase
    }

    func name(of id: UUID) -> String { ids.first { UUID(uuidString: $0.value) == id }!.key }

    mutating func planJSON() -> String {
        let products = names.map { name in
            #"{"id": "\#(ids[name]!)", "compute": "\#(name.hasPrefix("EDM") ? "dbxaas" : "cams")", "name": "\#(name)", "version": "1.0", "eager": \#(eager.contains(name)), "passthrough": {"job": "\#(name)"}}"#
        }
        let edges = parents.sorted { $0.key < $1.key }.flatMap { child, parents in
            parents.map { #"{"parent_id": "\#(ids[$0]!)", "child_id": "\#(ids[child]!)"}"# }
        }
        return
            #"{"dataset": {"id": "\#(datasetID)", "paused": false, "extra": {"pipeline": "accounting"}}, "data_products": [\#(products.joined(separator: ","))], "dependencies": [\#(edges.joined(separator: ","))]}"#
    }

    /// Eager products without parents are queued by the post (and by a clear of everything).
    func initialStates() -> [String: State] {
        Dictionary(
            uniqueKeysWithValues: names.map { ($0, eager.contains($0) && parents[$0] == nil ? .queued : .waiting) })
    }

    /// What a client runs next: a queued product, or a waiting non-eager one whose parents succeeded.
    func runnable(_ states: [String: State]) -> String? {
        names.first { name in
            let ready = (parents[name] ?? []).allSatisfy { states[$0] == .success }
            return states[name] == .queued || (states[name] == .waiting && !eager.contains(name) && ready)
        }
    }

    func apply(_ name: String, _ state: State, to states: [String: State]) -> [String: State] {
        var next = states
        next[name] = state
        guard state == .success else { return next }
        for (child, childParents) in parents where eager.contains(child) && next[child] == .waiting {
            if childParents.allSatisfy({ next[$0] == .success }) { next[child] = .queued }
        }
        return next
    }
}

/// The search answer as the Rust service's clients declare it.
private struct UpstreamSearchPage: Decodable {
    struct Row: Decodable {
        let dataset_id: String
        let extra: JSONValue?
        let modified_date: String
    }

    let rows: [Row]
    let next_page: Int?
}
