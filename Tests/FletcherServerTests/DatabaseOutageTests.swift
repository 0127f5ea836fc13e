import FletcherCore
import FletcherPostgres
import FletcherTestSupport
import Foundation
import Synchronization
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
        try await withServerOnOwnCluster { cluster, api, token in
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
                // The refused connection answers, not the pool's 5 s wait for a free connection
                // giving up (the only deadline a hung request would meet first).
                #expect(ContinuousClock.now - started < .seconds(5), "an outage must fail fast")
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

    /// The database stops while pipelined updates are in flight on every connection: each
    /// request is answered (200, or 503 when its outcome could not be confirmed), none hangs, and
    /// after the restart every plan holds its last acknowledged state or one asked for after it.
    @Test func updatesInFlightWhenTheDatabaseStopsAreAnsweredAndNoAcknowledgedOneIsLost() async throws {
        try await withServerOnOwnCluster { cluster, api, token in
            let plans = (0..<24).map { _ in (dataset: UUID().lowercasedString, product: UUID().lowercasedString) }
            for plan in plans {
                let body = planJSON(plan.dataset, [(plan.product, "A", false)], [])
                #expect(try await api.call("POST", "/api/plan", body: body, token: token).status == 200)
            }
            let stop = StopFlag()
            let outcomes = try await withThrowingTaskGroup(of: (Int, UpdateLog).self) { group in
                for (index, plan) in plans.enumerated() {
                    group.addTask {
                        var log = UpdateLog()
                        var round = 0
                        while !stop.isSet || log.acknowledged == nil {
                            round += 1
                            let state = round % 2 == 0 ? "success" : "running"
                            let started = ContinuousClock.now
                            let reply = try await api.call(
                                "PUT", "/api/data_product/\(plan.dataset)/update",
                                body: #"[{"id": "\#(plan.product)", "state": "\#(state)"}]"#, token: token)
                            log.record(state, status: reply.status, took: ContinuousClock.now - started)
                            if reply.status != 200 { try await Task.sleep(for: .milliseconds(20)) }
                        }
                        return (index, log)
                    }
                }
                try await Task.sleep(for: .milliseconds(300))
                try cluster.down()
                try await Task.sleep(for: .milliseconds(300))
                try cluster.up()
                try await eventually("updates succeed again") {
                    try await api.call("GET", "/readyz").status == 200
                }
                try await Task.sleep(for: .milliseconds(300))
                stop.set()
                return try await group.reduce(into: [(Int, UpdateLog)]()) { $0.append($1) }.sorted { $0.0 < $1.0 }
                    .map(\.1)
            }
            let statuses = Set(outcomes.flatMap(\.statuses))
            #expect(statuses.isSubset(of: [200, 503]), "\(statuses)")
            #expect(statuses.contains(503), "the outage was seen")
            // A request may wait out the pool's 5 s bound for a connection; a hang would not end.
            #expect(outcomes.map(\.slowest).max()! < .seconds(15), "no request hung")
            for (plan, log) in zip(plans, outcomes) {
                let stored = try await api.call("GET", "/api/plan/\(plan.dataset)").decode(Plan.self)
                let state = try #require(stored.dataProducts.first?.state.rawValue)
                #expect(
                    state == log.acknowledged || log.askedAfterAcknowledged.contains(state),
                    "\(plan.dataset): stored \(state), acknowledged \(log.acknowledged ?? "-"), then asked \(log.askedAfterAcknowledged), statuses \(log.statuses.suffix(6))"
                )
            }
        }
    }
}

/// A server on a PostgreSQL cluster of the test's own (4 connections), and an admin token.
private func withServerOnOwnCluster(
    _ body: (ThrowawayCluster, API, String) async throws -> Void
) async throws {
    let cluster = try ThrowawayCluster()
    defer { cluster.remove() }
    let store = try await PostgresPlanStore.open(conninfo: cluster.url, maxConnections: 4)
    try await store.migrate()
    try await withFletcher(store: store) { api in try await body(cluster, api, try await api.token("admin")) }
}

private final class StopFlag: Sendable {
    private let value = Atomic<Bool>(false)
    var isSet: Bool { value.load(ordering: .relaxed) }
    func set() { value.store(true, ordering: .relaxed) }
}

/// What one client of the outage test sent and heard.
private struct UpdateLog: Sendable {
    var statuses: [Int] = []
    var slowest: Duration = .zero
    var acknowledged: String?
    var askedAfterAcknowledged: Set<String> = []

    mutating func record(_ state: String, status: Int, took: Duration) {
        statuses.append(status)
        slowest = max(slowest, took)
        if status == 200 {
            acknowledged = state
            askedAfterAcknowledged = []
        } else {
            askedAfterAcknowledged.insert(state)
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
