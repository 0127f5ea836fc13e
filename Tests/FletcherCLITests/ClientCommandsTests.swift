import FletcherHTTP
import FletcherTestSupport
import Foundation
import Testing

/// `fletcher plan …` and `fletcher product …` against a `fletcher serve` on loopback, as an
/// operator's shell or script would run them.
@Suite("The command line as a client")
struct ClientCommandsTests {
    @Test(arguments: Backend.available)
    func everyCommandReadsAndChangesPlansOnTheServer(backend: Backend) async throws {
        try await withServer(backend) { server in
            let plan = try write(server.directory, server.planJSON)
            let posted = try await server.run(["plan", "post", plan])
            #expect(posted.status == 0, "\(posted.stderr)")
            #expect(posted.stdout.contains("2 products: 1 waiting, 1 queued"), "\(posted.stdout)")
            #expect(posted.stdout.contains("load    report"), "the dependency by names: \(posted.stdout)")

            let (d, a, b) = (server.dataset, server.a, server.b)
            let json = try await server.run(["plan", "get", d, "--json"])
            let served = try await HTTPClient().execute(HTTPClientRequest(url: "\(server.url)/api/plan/\(d)"))
            #expect(json.status == 0 && json.stdout == served.text + "\n", "--json prints the server's JSON as it is")

            let updated = try await server.run(["product", "update", d, a, "success", "--link", "https://r.test/1"])
            #expect(updated.status == 0 && updated.stdout.hasPrefix("version 2: 1 product changed"), "\(updated)")
            #expect(updated.stdout.contains("success") && updated.stdout.contains("https://r.test/1"))

            let triggered = try await server.run(["product", "trigger", d, b])
            #expect(triggered.status == 0 && triggered.stdout.contains("report  dbxaas   queued"), "\(triggered)")

            let product = try await server.run(["product", "get", d, b, "--json"])
            let productJSON = try JSONSerialization.jsonObject(with: Data(product.stdout.utf8)) as? [String: Any]
            #expect(productJSON?["state"] as? String == "queued" && productJSON?["name"] as? String == "report")

            let cleared = try await server.run(["product", "clear", d, a])
            #expect(cleared.status == 0 && cleared.stdout.hasPrefix("version 4: 2 products changed"), "\(cleared)")

            let paused = try await server.run(["plan", "pause", d])
            #expect(paused.status == 0 && paused.stdout == "dataset \(d) paused (version 5)\n", "\(paused)")
            let again = try await server.run(["plan", "pause", d])
            #expect(again.status == 1 && again.stdout.isEmpty)
            #expect(
                again.stderr == "fletcher: Dataset '\(d)' pause state is already set to: 'true'\n",
                "a refusal prints the problem's detail in one line")
            #expect(try await server.run(["plan", "unpause", d]).status == 0)

            let search = try await server.run(["plan", "search", "TEAM-X"])
            #expect(search.status == 0 && search.stdout.contains(d) && search.stdout.hasSuffix("end of results\n"))
            let none = try await server.run(["plan", "search", "no-such-plan"])
            #expect(none.stdout == "no plans match\nend of results\n")

            let dot = try await server.run(["plan", "dot", d])
            #expect(dot.status == 0 && dot.stdout.hasPrefix("digraph"))

            let runs = try await server.run(["product", "runs", d, a])
            #expect(runs.status == 0 && runs.stdout == "no runs\n", "no platform dispatches in this test")

            let disabled = try await server.run(["product", "disable", d, b])
            #expect(disabled.status == 0 && disabled.stdout.contains("disabled"))
            let table = try await server.run(["plan", "get", d])
            #expect(table.stdout.contains("2 products: 1 queued, 1 disabled"), "\(table.stdout)")
        }
    }

    @Test func refusalsUsageAndAnUnreachableServerHaveTheirExitStatus() async throws {
        try await withServer(.sqlite) { server in
            let plan = try write(server.directory, server.planJSON)
            #expect(try await server.run(["plan", "post", plan]).status == 0)

            let reader = try await server.run(
                ["product", "update", server.dataset, server.a, "success"],
                as: ["FLETCHER_SERVICE": "viewer", "FLETCHER_KEY": "v1ew"])
            #expect(reader.status == 1)
            #expect(reader.stderr == "fletcher: Service account 'viewer' is missing the following role: 'update'\n")

            let wrongKey = try await server.run(["plan", "pause", server.dataset], as: ["FLETCHER_KEY": "wrong"])
            #expect(wrongKey.status == 1 && wrongKey.stderr.contains("invalid service or key"), "\(wrongKey)")

            let badState = try await server.run(["product", "update", server.dataset, server.a, "queued"])
            #expect(badState.status == 1 && badState.stderr.contains("is invalid: 'queued'"), "\(badState)")

            for arguments in [
                ["plan", "get", "not-a-uuid"], ["plan", "get"], ["product", "clear", server.dataset],
                ["plan", "search", "--page", "-1"], ["plan", "get", server.dataset, "--url", "ftp://x"],
                ["plan", "get", server.dataset, "--service", "ops", "--token", "t"],
            ] {
                let result = try await server.run(arguments)
                #expect(result.status == 2 && result.stdout.isEmpty, "\(arguments): \(result)")
            }

            let unreachable = try await server.run(["plan", "get", server.dataset, "--url", "http://127.0.0.1:1"])
            #expect(unreachable.status == 3 && unreachable.stderr.hasPrefix("fletcher: the server cannot be reached"))
        }
    }

    /// `plan watch` prints each change, and keeps doing so after the server restarts on the same
    /// port: it reconnects by itself.
    @Test func watchFollowsChangesAcrossAServerRestart() async throws {
        try await withServer(.sqlite) { server in
            let plan = try write(server.directory, server.planJSON)
            #expect(try await server.run(["plan", "post", plan]).status == 0)
            let watch = try LiveProcess(
                ["plan", "watch", server.dataset], environment: server.clientEnvironment,
                directory: server.directory.url)
            _ = try await watch.line(containing: "plan of 2 products: 1 waiting, 1 queued")

            #expect(try await server.run(["product", "update", server.dataset, server.a, "running"]).status == 0)
            let running = try await watch.line(containing: "load  running")
            #expect(running.contains("v2"), "\(running)")

            let port = server.port
            await server.process.kill()
            _ = try await watch.line(containing: "reconnecting in")
            let restarted = try LiveProcess(
                ["serve"], environment: server.serverEnvironment.merging(["BIND": "127.0.0.1:\(port)"]) { $1 },
                directory: server.directory.url)
            _ = try await restarted.line(containing: "Fletcher is serving")

            #expect(try await server.run(["product", "update", server.dataset, server.a, "failed"]).status == 0)
            let failed = try await watch.line(containing: "load  failed")
            #expect(failed.contains("v3"), "the change after the restart, once: \(watch.output)")
            #expect(!watch.output.contains("\u{1B}["), "no colours when the output is not a terminal")
            _ = try await restarted.terminate()
        }
    }
}

/// A `fletcher serve` on loopback with two services: `ops` (every role) and `viewer` (none);
/// clients log in as `ops` unless told otherwise.
private struct RunningServer: ~Copyable {
    let directory: TemporaryDirectory
    let process: LiveProcess
    let port: Int
    let serverEnvironment: [String: String]
    let dataset = UUID().uuidString.lowercased()
    let a = UUID().uuidString.lowercased()
    let b = UUID().uuidString.lowercased()

    var url: String { "http://127.0.0.1:\(port)" }

    var clientEnvironment: [String: String] {
        ["FLETCHER_URL": url, "FLETCHER_SERVICE": "ops", "FLETCHER_KEY": "k3y"]
    }

    /// A plan: `load` (C-AMS, eager) → `report` (DBXaaS, not eager); no platform is configured,
    /// so nothing is dispatched.
    var planJSON: String {
        let product = { (id: String, name: String, compute: String, eager: Bool) in
            #"{"id": "\#(id)", "compute": "\#(compute)", "name": "\#(name)", "version": "1", "eager": \#(eager)}"#
        }
        return #"""
            {"dataset": {"id": "\#(dataset)", "extra": {"team": "team-x"}},
             "data_products": [\#(product(a, "load", "cams", true)), \#(product(b, "report", "dbxaas", false))],
             "dependencies": [{"parent_id": "\#(a)", "child_id": "\#(b)"}]}
            """#
    }

    func run(_ arguments: [String], as overrides: [String: String] = [:]) async throws -> CommandResult {
        try await fletcher(arguments, environment: clientEnvironment.merging(overrides) { $1 })
    }
}

private func withServer(_ backend: Backend, _ body: (borrowing RunningServer) async throws -> Void) async throws {
    let directory = try TemporaryDirectory()
    let database = try await TestDatabase.make(backend, in: directory)
    let hash = { (key: String) async throws -> String in
        try #require(try await fletcher(["hash-key", "--key", key, "--cost", "4"]).stdout.split(separator: " ").last)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }
    let (ops, viewer) = (try await hash("k3y"), try await hash("v1ew"))
    let environment = [
        "DATABASE_URL": backend == .sqlite ? "sqlite:\(database.url)" : database.url, "BIND": "127.0.0.1:0",
        "SECRET_KEY": String(repeating: "c", count: 32),
        "REMOTE_APIS": #"""
        [{"service": "ops", "hash": "\#(ops)", "roles": ["publish", "pause", "update", "disable"]},
         {"service": "viewer", "hash": "\#(viewer)", "roles": []}]
        """#,
    ]
    let process = try LiveProcess(["serve"], environment: environment, directory: directory.url)
    let line = try await process.line(containing: "Fletcher is serving")
    let port = try #require(line.firstMatch(of: /port (\d+)/).map { Int($0.1)! })
    let server = RunningServer(directory: directory, process: process, port: port, serverEnvironment: environment)
    try await process.explainingFailures { try await body(server) }
    _ = try? await server.process.terminate()
}
