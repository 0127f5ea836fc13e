import FletcherCore
import FletcherPostgres
import FletcherServer
import FletcherTestSupport
import Foundation
import Testing

/// R7 on PostgreSQL: what one instance commits reaches the others without a NOTIFY inside any
/// write transaction. Every events stream, on whichever instance, sees each change once and in
/// version order; another instance's dispatcher wakes for work it did not commit itself.
@Suite("Changes across instances", .enabled(if: Backend.available.contains(.postgres)))
struct CrossInstanceChangesTests {
    @Test func everyStreamSeesEachChangeOnceInVersionOrder() async throws {
        let directory = try TemporaryDirectory()
        let database = try await TestDatabase.make(.postgres, in: directory)
        try await withFletcher(store: try await database.open()) { first in
            try await withFletcher(store: try await database.open()) { second in
                let token = try await first.token("admin")
                var factory = PlanFactory()
                let names = (0..<40).map { "P\($0)" }
                let posted = try await first.call(
                    "POST", "/api/plan", json: factory.plan(names, eager: false), token: token)
                #expect(posted.status == 200)
                let dataset = factory.datasetID.lowercasedString
                let streams = try [first, second, second].map {
                    try EventStream("\($0.base)/api/plan/\(dataset)/events")
                }
                defer { for stream in streams { stream.close() } }
                for stream in streams { #expect(await stream.next()?.id == "1") }

                // Two clients at once, one per instance: their commits interleave in any order.
                let ids = names.map { factory.id($0).lowercasedString }
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for (instance, half) in [(first, ids[..<20]), (second, ids[20...])] {
                        group.addTask {
                            for id in half {
                                let body = #"[{"id": "\#(id)", "state": "running"}]"#
                                let reply = try await instance.call(
                                    "PUT", "/api/data_product/\(dataset)/update", body: body, token: token)
                                #expect(reply.status == 200, "\(reply.text)")
                            }
                        }
                    }
                    try await group.waitForAll()
                }
                for (index, stream) in streams.enumerated() {
                    var versions: [String] = []
                    var running: Set<String> = []
                    while versions.count < names.count, let event = await stream.next(within: .seconds(10)) {
                        #expect(event.name == "change")
                        versions.append(event.id ?? "")
                        for change in event.json["changes"] as? [[String: Any]] ?? [] {
                            if change["state"] as? String == "running" { running.insert(change["id"] as? String ?? "") }
                        }
                    }
                    #expect(versions == (2...41).map(String.init), "stream \(index)")
                    #expect(running == Set(ids), "stream \(index)")
                    #expect(await stream.next(within: .milliseconds(300)) == nil, "stream \(index): nothing more")
                }
            }
        }
    }

    /// Another instance learns of a commit a few milliseconds later, from the change log; a client
    /// that reconnects there at once still gets the changes it missed, not a fresh plan.
    @Test func aClientReconnectingToAnotherInstanceGetsWhatItMissed() async throws {
        try await withTwoInstancesAndAPlan { writer, reader, token, dataset, product in
            // The reader's relay has seen this plan's first change before the others come.
            let first = try EventStream("\(reader.base)/api/plan/\(dataset)/events")
            #expect(await first.next()?.id == "1")
            first.close()
            for round in 0..<10 {
                let from = 1 + round * 2
                for state in ["running", "success"] {
                    let body = #"[{"id": "\#(product)", "state": "\#(state)"}]"#
                    _ = try await writer.call(
                        "PUT", "/api/data_product/\(dataset)/update", body: body, token: token)
                }
                let resumed = try EventStream(
                    "\(reader.base)/api/plan/\(dataset)/events", lastEventID: String(from))
                defer { resumed.close() }
                let missed = [await resumed.next(), await resumed.next()]
                #expect(
                    missed.map { $0?.id } == [String(from + 1), String(from + 2)]
                        && missed.allSatisfy { $0?.name == "change" }, "round \(round)")
            }
        }
    }

    /// The instance that commits work here has no dispatcher at all; the one that dispatches has
    /// its idle look raised to 10 s, so only a notification from the other can wake it in time.
    @Test func dispatchWorkWakesTheDispatcherOfAnotherInstance() async throws {
        let directory = try TemporaryDirectory()
        let database = try await TestDatabase.make(.postgres, in: directory)
        let committing = try #require(try await database.open() as? PostgresPlanStore)
        let orchestrator = Orchestrator(store: committing, platforms: .builtIn(dispatching: [.cams]))
        let relay = Task { await PostgresChanges.relay(from: committing, into: orchestrator.changes) }
        defer { relay.cancel() }
        try await withPlatforms { platforms in
            try await withFletcher(
                environment: platforms.environment(), store: try await database.open(),
                configure: { $0.dispatch.settings.idleSeconds = 10 }
            ) { dispatching in
                for round in 0..<3 {
                    var factory = PlanFactory()
                    _ = try await orchestrator.post(dispatchPlan(&factory, ["A"]), by: "tester")
                    let product = factory.id("A")
                    try await eventually("round \(round): the other instance submits A", timeout: .seconds(30)) {
                        try await dispatching.runs(factory.datasetID, product).first?.submittedAt != nil
                    }
                    let run = try #require(try await dispatching.runs(factory.datasetID, product).first)
                    let waited = Double(run.submittedAt!.microsecondsSinceEpoch - run.queuedAt.microsecondsSinceEpoch)
                    // The idle look would have taken up to 10 s.
                    #expect(waited / 1e6 < 5, "round \(round): submitted \(waited / 1e6) s after queueing")
                }
            }
        }
    }
}
