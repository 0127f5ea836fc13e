import FletcherCore
import FletcherPostgres
import FletcherTestSupport
import Foundation
import Testing

/// R3: the database goes away while the server runs. Requests fail fast with 503 and change
/// nothing; when the database is back they succeed again without restarting Fletcher.
@Suite(
    "Database outage",
    .enabled(
        if: ProcessInfo.processInfo.environment["FLETCHER_REQUIRE_POSTGRES"] == "1"
            || FileManager.default.fileExists(atPath: "/usr/lib/postgresql"),
        "needs PostgreSQL's server binaries to run a cluster of its own"))
struct DatabaseOutageTests {
    @Test func requestsFailFastDuringAnOutageAndRecoverAfterIt() async throws {
        let cluster = try ThrowawayCluster()
        defer { cluster.remove() }
        let store = try await PostgresPlanStore.open(conninfo: cluster.url, maxConnections: 4)
        try await store.migrate()
        try await withFletcher(store: store) { api in
            let token = try await api.token("admin")
            let dataset = UUID().lowercasedString
            let product = UUID().lowercasedString
            let posted = try await api.call(
                "POST", "/api/plan", body: planJSON(dataset, [(product, "A", false)], []), token: token)
            #expect(posted.status == 200)

            try cluster.down()
            for _ in 0..<3 {
                let started = ContinuousClock.now
                let reply = try await api.call(
                    "PUT", "/api/data_product/\(dataset)/update", body: #"[{"id": "\#(product)", "state": "running"}]"#,
                    token: token)
                #expect(reply.status == 503, "\(reply.text)")
                #expect(reply.header("Retry-After") != nil)
                #expect(ContinuousClock.now - started < .seconds(3), "an outage must fail fast")
            }
            #expect(try await api.call("GET", "/readyz").status == 503)
            #expect(try await api.call("GET", "/healthz").status == 200)

            try cluster.up()
            let after = try await api.call(
                "PUT", "/api/data_product/\(dataset)/update", body: #"[{"id": "\#(product)", "state": "running"}]"#,
                token: token)
            #expect(after.status == 200, "\(after.text)")
            #expect(try await api.call("GET", "/readyz").status == 200)
            let plan = try await api.call("GET", "/api/plan/\(dataset)").decode(Plan.self)
            #expect(plan.dataProducts.first?.state == .running)
        }
    }
}

/// A PostgreSQL cluster of the test's own (scripts/pg), which it may stop and start.
struct ThrowawayCluster {
    let directory: String
    let url: String

    init() throws {
        directory =
            FileManager.default.temporaryDirectory.appendingPathComponent("fletcher-pg-\(UUID().uuidString)").path
        let output = try Self.script(["start", directory])
        guard let line = output.split(separator: "\n").last, let equals = line.firstIndex(of: "=") else {
            throw APIFailure("scripts/pg start printed no DATABASE_URL: \(output)")
        }
        url = String(line[line.index(after: equals)...])
    }

    func down() throws { try Self.script(["down", directory]) }
    func up() throws { try Self.script(["up", directory]) }
    func remove() { _ = try? Self.script(["stop", directory]) }

    /// Runs scripts/pg through the shell, its output to a file. (Foundation's `Process` never
    /// sees this script end: the PostgreSQL server it starts outlives it as a daemon.)
    @discardableResult
    private static func script(_ arguments: [String]) throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("fletcher-pg-\(UUID().uuidString).log")
        defer { try? FileManager.default.removeItem(at: log) }
        let command =
            "FAST=1 '\(root.path)/scripts/pg' \(arguments.map { "'\($0)'" }.joined(separator: " ")) >'\(log.path)' 2>&1"
        let status = system(command)
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        guard status == 0 else { throw APIFailure("scripts/pg \(arguments[0]) failed: \(text)") }
        return text
    }
}
