import FletcherCore
import FletcherSQLite
import FletcherTestSupport
import Foundation
import Testing

@Suite("Plan store conformance (every backend)")
struct StoreConformanceTests {
    private func openStore(_ backend: Backend, _ directory: borrowing TemporaryDirectory) async throws -> any PlanStore
    {
        try await TestDatabase.make(backend, in: directory).open()
    }

    @Test(arguments: Backend.available)
    func everyFieldRoundTrips(backend: Backend) async throws {
        let directory = try TemporaryDirectory()
        let database = try await TestDatabase.make(backend, in: directory)
        let store = try await database.open()
        let orchestrator = Orchestrator(store: store, platforms: .builtIn(), clock: SteppingClock())
        let datasetID = UUID()
        let a = UUID()
        let b = UUID()
        let json: JSONValue = [
            "string": "é \"quoted\" \\ / \n", "int": 9_007_199_254_740_993, "double": 0.125, "bool": false,
            "null": nil, "array": [1, "two", [3]], "nested": ["deep": ["deeper": true]],
        ]
        let param = PlanParam(
            dataset: DatasetParam(id: datasetID, extra: json),
            dataProducts: [
                DataProductParam(
                    id: a, compute: .cams, name: "A", version: "1.0", eager: false, passthrough: json, extra: [1]),
                DataProductParam(id: b, compute: .dbxaas, name: "B ✓", version: "2", eager: true),
            ],
            dependencies: [DependencyParam(parentID: a, childID: b, extra: ["why": "because"])])
        _ = try await orchestrator.post(param, by: "svc-one")
        let runID = UUID()
        let updated = try await orchestrator.execute(
            .update([StateParam(id: a, state: .success, runID: runID, link: "https://r.test/a?x=1", passback: json)]),
            on: datasetID, by: "svc-two")

        let stored = try #require(try await store.plan(datasetID))
        #expect(stored == updated.plan)
        #expect(stored.dataProducts[0].passback == json && stored.dataProducts[0].runID == runID)
        #expect(stored.dataProducts[1].state == .queued && stored.dataProducts[1].modifiedBy == "svc-two")
        #expect(stored.dataset.modifiedDate.microsecondsSinceEpoch % 1_000_000 != 0)  // microseconds survive

        // A second store on the same database (a restarted process) reads the same plan.
        let reopened = try await database.open()
        #expect(try await reopened.plan(datasetID) == stored)
        #expect(try await reopened.dataProduct(datasetID, b) == stored.dataProducts[1])
        #expect(try await reopened.dataProduct(datasetID, UUID()) == nil)
        #expect(try await reopened.dataProduct(UUID(), a) == nil)
        #expect(try await reopened.plan(UUID()) == nil)
    }

    /// A big new plan's rows take another path on PostgreSQL (COPY): every field of every row,
    /// text and JSON with the characters that path escapes, reads back from a restarted store.
    @Test(arguments: Backend.available)
    func aBigNewPlanRoundTrips(backend: Backend) async throws {
        let directory = try TemporaryDirectory()
        let database = try await TestDatabase.make(backend, in: directory)
        let orchestrator = Orchestrator(store: try await database.open(), platforms: .builtIn(), clock: SteppingClock())
        let awkward = "tab\t newline\n return\r backslash\\ \\N quote\" é ✓"
        let ids = (0..<1_200).map { _ in UUID() }
        let products = ids.enumerated().map { index, id in
            DataProductParam(
                id: id, compute: index % 2 == 0 ? .cams : .dbxaas, name: "\(awkward) \(index)", version: awkward,
                eager: index % 3 == 0,
                passthrough: index % 4 == 0 ? nil : .object([awkward: [.string(awkward), .null, .int(Int64(index))]]),
                extra: index % 5 == 0 ? nil : ["n": JSONValue.int(Int64(index)), "s": .string(awkward)])
        }
        let dependencies = (100..<1_200).map {
            DependencyParam(parentID: ids[$0 - 100], childID: ids[$0], extra: $0 % 2 == 0 ? nil : [.string(awkward)])
        }
        let datasetID = UUID()
        let posted = try await orchestrator.post(
            PlanParam(
                dataset: DatasetParam(id: datasetID, extra: .string(awkward)), dataProducts: products,
                dependencies: dependencies),
            by: awkward)
        let reopened = try await database.open()
        #expect(try await reopened.plan(datasetID) == posted.plan)

        // Posted again with changes, the same rows are updated in place.
        var changed = products
        changed[7].name = "renamed"
        let reposted = try await orchestrator.post(
            PlanParam(dataset: DatasetParam(id: datasetID), dataProducts: changed, dependencies: dependencies),
            by: "svc")
        #expect(try await database.open().plan(datasetID) == reposted.plan)
        #expect(reposted.plan.dataProducts[7].name == "renamed")
    }

    @Test(arguments: Backend.available)
    func productsAndDependenciesKeepFirstPostedOrder(backend: Backend) async throws {
        let directory = try TemporaryDirectory()
        let orchestrator = Orchestrator(
            store: try await openStore(backend, directory), platforms: .builtIn(), clock: SteppingClock())
        var factory = PlanFactory()
        _ = try await orchestrator.post(factory.plan(["M", "C", "X"], [("M", "C"), ("C", "X")]), by: "t")
        _ = try await orchestrator.post(
            factory.plan(["X", "B", "M", "A"], [("B", "A"), ("M", "C"), ("M", "X")]), by: "t")
        let plan = try #require(try await orchestrator.plan(factory.datasetID))
        #expect(plan.dataProducts.map(\.name) == ["M", "C", "X", "B", "A"])
        let edges = plan.dependencies.map { dependency in
            [dependency.parentID, dependency.childID].map { id in factory.ids.first { $0.value == id }!.key }
        }
        #expect(edges == [["M", "C"], ["C", "X"], ["B", "A"], ["M", "X"]])
        // Stable: reading twice gives the same order.
        #expect(try await orchestrator.plan(factory.datasetID) == plan)
    }

    @Test(arguments: Backend.available, [0, 50, 51, 60, 75])
    func searchPagesFiftyRowsAtATime(backend: Backend, matches: Int) async throws {
        let directory = try TemporaryDirectory()
        let orchestrator = Orchestrator(
            store: try await openStore(backend, directory), platforms: .builtIn(), clock: SteppingClock())
        for index in 0..<matches {
            var factory = PlanFactory()
            _ = try await orchestrator.post(factory.plan(["A"], extra: ["team": "Ledger-\(index)"]), by: "t")
        }
        var other = PlanFactory()
        _ = try await orchestrator.post(other.plan(["A"], extra: ["team": "payroll"]), by: "t")

        var seen: [SearchPage.Row] = []
        var page = 0
        while true {
            let result = try await orchestrator.search("ledger", page: page)
            seen += result.rows
            #expect(result.rows.count <= 50)
            guard let next = result.nextPage else { break }
            #expect(next == page + 1 && result.rows.count == 50)
            page = next
        }
        #expect(seen.count == matches)
        #expect(page == max(0, (matches - 1) / 50))
        // Latest modification first: posted in order, so the newest post leads.
        #expect(seen.map(\.modifiedDate) == seen.map(\.modifiedDate).sorted(by: >))
        #expect(try await orchestrator.search("ledger", page: page + 1).rows.isEmpty)
        #expect(try await orchestrator.search("", page: 0).rows.count == min(50, matches + 1))
    }

    @Test(arguments: Backend.available)
    func searchIsALiteralCaseInsensitiveSubstringOfIdOrExtra(backend: Backend) async throws {
        let directory = try TemporaryDirectory()
        let orchestrator = Orchestrator(
            store: try await openStore(backend, directory), platforms: .builtIn(), clock: SteppingClock())
        var percent = PlanFactory()
        var underscore = PlanFactory()
        var backslash = PlanFactory()
        var plain = PlanFactory()
        _ = try await orchestrator.post(percent.plan(["A"], extra: ["rate": "100%"]), by: "t")
        _ = try await orchestrator.post(underscore.plan(["A"], extra: ["name": "gl_daily"]), by: "t")
        _ = try await orchestrator.post(backslash.plan(["A"], extra: ["path": "C:\\data"]), by: "t")
        _ = try await orchestrator.post(plain.plan(["A"], extra: ["name": "GLXdaily", "Größe": "Straße"]), by: "t")

        func found(_ term: String) async throws -> Set<UUID> {
            Set(try await orchestrator.search(term, page: 0).rows.map(\.datasetID))
        }
        #expect(try await found("%") == [percent.datasetID])
        #expect(try await found("l_d") == [underscore.datasetID])
        #expect(try await found("gl_") == [underscore.datasetID])
        #expect(try await found("\\\\data") == [backslash.datasetID])  // JSON text escapes the backslash
        #expect(try await found("GLX") == [plain.datasetID])
        #expect(try await found("größe") == [plain.datasetID])
        #expect(try await found("STRASSE").isEmpty)
        #expect(try await found("\"name\"") == [underscore.datasetID, plain.datasetID])  // keys match too
        let id = plain.datasetID.lowercasedString
        #expect(try await found(String(id.prefix(13)).uppercased()) == [plain.datasetID])
    }

    @Test(arguments: Backend.available)
    func searchOrdersByLastModificationOfAnyRowThenId(backend: Backend) async throws {
        let directory = try TemporaryDirectory()
        let orchestrator = Orchestrator(
            store: try await openStore(backend, directory), platforms: .builtIn(), clock: SteppingClock())
        var first = PlanFactory()
        var second = PlanFactory()
        _ = try await orchestrator.post(first.plan(["A"], eager: false, extra: "x"), by: "t")
        _ = try await orchestrator.post(second.plan(["A"], eager: false, extra: "x"), by: "t")
        #expect(
            try await orchestrator.search("", page: 0).rows.map(\.datasetID) == [second.datasetID, first.datasetID])
        // A product update (not the dataset row) makes the first plan the latest.
        let touched = try await orchestrator.execute(
            .update([StateParam(id: first.id("A"), state: .running)]), on: first.datasetID, by: "t")
        let rows = try await orchestrator.search("", page: 0).rows
        #expect(rows.map(\.datasetID) == [first.datasetID, second.datasetID])
        #expect(rows[0].modifiedDate == touched.plan.dataProducts[0].modifiedDate)
        #expect(rows[0].extra == "x")
    }

    @Test(arguments: Backend.available)
    func aRefusedCommandWritesNothing(backend: Backend) async throws {
        let directory = try TemporaryDirectory()
        let store = try await openStore(backend, directory)
        let orchestrator = Orchestrator(store: store, platforms: .builtIn(), clock: SteppingClock())
        var factory = PlanFactory()
        let posted = try await orchestrator.post(factory.plan(["A", "B"], [("A", "B")]), by: "t")
        await #expect(throws: CommandError.cyclical) {
            try await orchestrator.post(factory.plan(["C"], [("B", "C"), ("C", "A")]), by: "t")
        }
        #expect(try await store.plan(factory.datasetID) == posted.plan)
        let next = try await orchestrator.execute(.pause, on: factory.datasetID, by: "t")
        #expect(next.version == posted.version + 1)
    }

    /// A big delta is applied to the cached plan beside the database's write: the plan a command
    /// answers with and caches is the plan the store holds (rows, counts, JSON, version), for a
    /// first post, a re-post that adds to it, and an update of every product.
    @Test(arguments: Backend.available)
    func bigChangesAreCachedAsStored(backend: Backend) async throws {
        let directory = try TemporaryDirectory()
        let store = try await openStore(backend, directory)
        let orchestrator = Orchestrator(store: store, platforms: .builtIn(), clock: SteppingClock())
        var factory = PlanFactory()
        let names = (0..<2_400).map { "P\($0)" }
        func chains(_ count: Int) -> [(String, String)] {
            (10..<count).map { (names[$0 - 10], names[$0]) }
        }
        func expectStored(_ outcome: CommandOutcome, _ step: String) async throws {
            let stored = try #require(try await store.storedPlan(factory.datasetID), "\(step)")
            #expect(outcome.state.plan == stored.plan, "\(step)")
            #expect(outcome.state.counts.filter { $0.value != 0 } == stored.counts, "\(step)")
            #expect(outcome.state.json.bytes == stored.json.bytes, "\(step)")
            #expect(outcome.version == stored.version && outcome.state.version == stored.version, "\(step)")
            #expect(try await orchestrator.currentPlan(factory.datasetID)?.json.bytes == stored.json.bytes, "\(step)")
        }
        let posted = try await orchestrator.post(factory.plan(Array(names[..<1_300]), chains(1_300)), by: "t")
        try await expectStored(posted, "first post")
        let grown = try await orchestrator.post(factory.plan(names, chains(names.count)), by: "t")
        #expect(grown.plan.dataProducts.count == names.count)
        try await expectStored(grown, "re-post")
        let succeeded = try await orchestrator.execute(
            .update(names.map { StateParam(id: factory.id($0), state: .success) }), on: factory.datasetID, by: "t")
        try await expectStored(succeeded, "update")
        #expect(succeeded.changes.count == names.count)
    }
}
