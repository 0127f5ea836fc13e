import FletcherHTTP
import FletcherTestSupport
import Foundation
import Testing

/// `fletcher import-upstream`: a Rust-service database, built from its migration and filled with
/// plans in every state, imported into either store; Fletcher's API then serves every field as
/// the source holds it.
@Suite("Importing the Rust service's database", .enabled(if: Backend.available.contains(.postgres)))
struct ImportUpstreamTests {
    typealias F = RustServiceFixture

    @Test(arguments: Backend.available)
    func everyFieldArrivesUnchangedAndASecondRunImportsNothing(into backend: Backend) async throws {
        let directory = try TemporaryDirectory()
        let source = try await Source.make(in: directory)
        let target = try await TestDatabase.make(backend, in: directory)
        let arguments = ["import-upstream", "--from", source.database.url, "--database-url", target.fletcherURL]

        let first = try await fletcher(arguments)
        #expect(first.status == 1, "two datasets were skipped for an error: \(first.stderr)")
        #expect(
            first.stdout
                == "imported 3 datasets (10 products, 6 dependencies), skipped 2 (1 not a DAG, 1 with a dependency on a missing product)\n"
        )
        #expect(first.stderr.contains("skipped dataset \(source.cycle.lowercased): its dependencies have a cycle"))
        #expect(first.stderr.contains("skipped dataset \(source.dangling.lowercased): dependency "))
        #expect(first.stderr.contains("5 / 5 datasets ("), "progress: \(first.stderr)")
        #expect(
            try await psql(source.database.url, "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()")
                == "4", "nothing was created in the source")

        let second = try await fletcher(arguments)
        #expect(
            second.stdout
                == "imported 0 datasets (0 products, 0 dependencies), skipped 5 (3 already in Fletcher, 1 not a DAG, 1 with a dependency on a missing product)\n",
            "\(second.stderr)")

        let process = try LiveProcess(
            ["serve"], environment: ["DATABASE_URL": target.fletcherURL, "BIND": "127.0.0.1:0"],
            directory: directory.url)
        let line = try await process.line(containing: "Fletcher is serving")
        let port = try #require(line.firstMatch(of: /port (\d+)/).flatMap { Int($0.1) })
        let client = HTTPClient()
        for id in source.importable {
            let answer = try await client.execute(
                HTTPClientRequest(url: "http://127.0.0.1:\(port)/api/plan/\(id.lowercased)"))
            #expect(answer.status == 200)
            let served = try JSONSerialization.jsonObject(with: Data(answer.text.utf8))
            compare(served, source.served(id), at: "plan \(id.lowercased)")
        }
        for id in [source.cycle, source.dangling] {
            let answer = try await client.execute(
                HTTPClientRequest(url: "http://127.0.0.1:\(port)/api/plan/\(id.lowercased)"))
            #expect(answer.status == 404, "a skipped dataset is not in Fletcher")
        }
        _ = try? await process.terminate()
    }

    @Test(arguments: Backend.available)
    func aDryRunChecksEverythingAndWritesNothing(into backend: Backend) async throws {
        let directory = try TemporaryDirectory()
        let source = try await Source.make(in: directory)
        let target = try await TestDatabase.make(backend, in: directory)
        let dryRun = try await fletcher([
            "import-upstream", "--from", source.database.url, "--database-url", target.fletcherURL, "--dry-run",
        ])
        #expect(dryRun.status == 1)
        #expect(
            dryRun.stdout
                == "dry run, nothing written: would have imported 3 datasets (10 products, 6 dependencies), skipped 2 (1 not a DAG, 1 with a dependency on a missing product)\n"
        )
        switch backend {
        case .sqlite: #expect(!FileManager.default.fileExists(atPath: target.url), "not even an empty database")
        case .postgres:
            #expect(
                try await psql(target.url, "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()") == "0")
        }
    }

    @Test func aDatabaseThatIsNotTheRustServicesIsRefused() async throws {
        let directory = try TemporaryDirectory()
        let empty = try await TestDatabase.make(.postgres, in: directory)
        let fletchers = try await TestDatabase.make(.postgres, in: directory)
        _ = try await fletchers.open()
        let target = "sqlite:" + directory.path("target.sqlite")
        let fromEmpty = try await fletcher(["import-upstream", "--from", empty.url, "--database-url", target])
        #expect(fromEmpty.status == 1)
        #expect(
            fromEmpty.stderr.contains("not the Rust service's database: no table dataset, data_product, dependency"))
        let fromFletcher = try await fletcher(["import-upstream", "--from", fletchers.url, "--database-url", target])
        #expect(fromFletcher.status == 1)
        #expect(fromFletcher.stderr.contains("it is a Fletcher database"), "\(fromFletcher.stderr)")
    }

    /// The source: one plan with a product in every state and a null in every nullable column, a
    /// paused plan, a plan whose disabled product closes a cycle (importable: a post accepts it),
    /// a plan with a cycle and one with a dependency on a product it does not have.
    struct Source {
        let database: TestDatabase
        let everyState = UUID(), paused = UUID(), disabledCycle = UUID(), cycle = UUID(), dangling = UUID()
        let datasets: [UUID: F.Row]
        let products: [UUID: [F.Row]]
        let dependencies: [UUID: [F.Row]]

        static func make(in directory: borrowing TemporaryDirectory) async throws -> Source {
            try await Source(database: TestDatabase.make(.postgres, in: directory))
        }

        private init(database: TestDatabase) async throws {
            self.database = database
            let (everyState, paused, disabledCycle, cycle, dangling) = (
                self.everyState, self.paused, self.disabledCycle, self.cycle, self.dangling
            )
            let at = F.time("2024-01-31T23:59:59.999999Z", served: "2024-01-31T23:59:59.999999Z")
            datasets = [
                everyState: F.dataset(
                    id: everyState, paused: false, extra: #"{"team": "ünïcode ✓", "tags": [1, 2.5, true, null]}"#,
                    by: "alice", at: at),
                paused: F.dataset(
                    id: paused, paused: true, extra: nil, by: "bob",
                    at: F.time("2023-07-01 12:00:00+00", served: "2023-07-01T12:00:00.000000Z")),
                disabledCycle: F.dataset(id: disabledCycle, paused: false, extra: "{}", by: "carol", at: at),
                cycle: F.dataset(id: cycle, paused: false, extra: nil, by: "dave", at: at),
                dangling: F.dataset(id: dangling, paused: false, extra: nil, by: "erin", at: at),
            ]
            let run = UUID()
            let states: [F.Product] = [
                F.Product(name: "w", passthrough: #"{"deep": {"list": [{"a": 1}]}}"#, extra: #""text""#),
                F.Product(compute: "dbxaas", name: "q", eager: false, state: "queued", runID: UUID()),
                F.Product(
                    name: "r", state: "running", runID: run, link: "https://c-ams.test/runs/1",
                    at: F.time("2024-03-05 10:11:12.5+01", served: "2024-03-05T09:11:12.500000Z")),
                F.Product(
                    compute: "dbxaas", name: "s", version: "2.0-β", state: "success", runID: UUID(),
                    link: "https://dbx.test/1", passback: #"{"rows": 12345678901, "ratio": 0.25}"#),
                F.Product(name: "f", state: "failed", runID: UUID(), passback: "[]", extra: "null"),
                F.Product(name: "d", state: "disabled"),
            ]
            let (x, y, z) = (
                F.Product(name: "x", state: "success"), F.Product(name: "y"), F.Product(name: "z", state: "disabled")
            )
            let (c1, c2) = (F.Product(name: "c1"), F.Product(name: "c2"))
            let (lone, ghost) = (F.Product(name: "lone"), UUID())
            products = [
                everyState: states.map { $0.row(in: everyState) }, paused: [x.row(in: paused)],
                disabledCycle: [x, y, z].map { $0.row(in: disabledCycle) },
                cycle: [c1, c2].map { $0.row(in: cycle) }, dangling: [lone.row(in: dangling)],
            ]
            dependencies = [
                everyState: [
                    F.dependency(everyState, states[0].id, states[1].id, extra: #"{"why": "feeds"}"#),
                    F.dependency(everyState, states[0].id, states[2].id),
                    F.dependency(everyState, states[3].id, states[4].id),
                ],
                paused: [],
                disabledCycle: [
                    F.dependency(disabledCycle, x.id, y.id), F.dependency(disabledCycle, y.id, z.id),
                    F.dependency(disabledCycle, z.id, x.id),
                ],
                cycle: [F.dependency(cycle, c1.id, c2.id), F.dependency(cycle, c2.id, c1.id)],
                dangling: [F.dependency(dangling, lone.id, ghost)],
            ]
            let sql = [
                F.schema, F.insert("dataset", Array(datasets.values)),
                F.insert("data_product", products.values.flatMap { $0 }),
                // A dangling edge gets past the foreign keys only with their triggers off.
                "SET session_replication_role = replica;",
                F.insert("dependency", dependencies.values.flatMap { $0 }),
            ]
            try await psql(database.url, sql.joined(separator: "\n"))
        }

        var importable: [UUID] { [everyState, paused, disabledCycle] }

        /// The plan as the API must serve it: products in id order, dependencies in (parent, child) order.
        func served(_ id: UUID) -> [String: Any] {
            let byID = { (row: F.Row) in row.servedJSON["id"] as! String }
            let byEdge = { (row: F.Row) in
                (row.servedJSON["parent_id"] as! String) + (row.servedJSON["child_id"] as! String)
            }
            return [
                "dataset": datasets[id]!.servedJSON,
                "data_products": products[id]!.sorted { byID($0) < byID($1) }.map(\.servedJSON),
                "dependencies": dependencies[id]!.sorted { byEdge($0) < byEdge($1) }.map(\.servedJSON),
            ]
        }
    }
}

/// Compares decoded JSON field by field, naming the path of each difference.
private func compare(_ actual: Any, _ expected: Any, at path: String) {
    switch (actual, expected) {
    case (let actual as [String: Any], let expected as [String: Any]):
        #expect(Set(actual.keys) == Set(expected.keys), "fields of \(path)")
        for (key, value) in expected {
            if let served = actual[key] { compare(served, value, at: "\(path).\(key)") }
        }
    case (let actual as [Any], let expected as [Any]):
        #expect(actual.count == expected.count, "length of \(path)")
        for (index, pair) in zip(actual, expected).enumerated() { compare(pair.0, pair.1, at: "\(path)[\(index)]") }
    default:
        #expect(actual as? NSObject == expected as? NSObject, "\(path): served \(actual), stored \(expected)")
    }
}

extension TestDatabase {
    /// The `DATABASE_URL` naming this database.
    var fletcherURL: String { backend == .sqlite ? "sqlite:\(url)" : url }
}
