import FletcherCore
import FletcherPlatform
import FletcherSimulators
import FletcherTestSupport
import Foundation
import Testing

/// Two instances on one database, as behind a load balancer that spreads callbacks and polls
/// over them. A report reaching the instance whose cached plan predates another instance's
/// commit must still be applied: instance A caches a plan, instance B clears a product (a new
/// attempt), and A hears about the new attempt.
@Suite("Reports through another instance")
struct CrossInstanceReportTests {
    /// The scenario by callbacks: polling off everywhere, the callbacks sent to A by hand.
    @Test(arguments: Backend.available)
    func aCallbackAboutAnAttemptStartedElsewhereIsApplied(backend: Backend) async throws {
        var settings = SimulatorSettings()
        settings.callbacks = false
        settings.runSeconds = 3_600
        try await withTwoInstances(backend, settings, pollA: false) { a, b, platforms, plan in
            let (p, q) = (plan.id("P"), plan.id("Q"))
            let first = try await submittedRun(a, plan.dataset, p)
            #expect(try await callback(a, platforms, first, "running") == "applied")
            let token = try await a.token("admin")
            let updated = try await a.call(
                "PUT", "/api/data_product/\(plan.dataset.lowercasedString)/update",
                body: #"[{"id": "\#(q.lowercasedString)", "state": "running"}]"#, token: token)
            #expect(updated.status == 200, "\(updated.text)")

            try await clear(p, of: plan.dataset, through: b)
            let second = try await submittedRun(b, plan.dataset, p, after: first)
            #expect(try await callback(a, platforms, second, "succeeded") == "applied")
            #expect(try await a.states(plan.dataset)["P"] == .success)
            #expect(try await b.states(plan.dataset)["P"] == .success)
            #expect(
                try await callback(a, platforms, first, "failed") == "stale", "the superseded attempt stays ignored")
            #expect(try await b.states(plan.dataset)["P"] == .success)
        }
    }

    /// The scenario by polls: only A polls, so only A can tell Fletcher the new attempt finished.
    @Test(arguments: Backend.available)
    func aPollOfAnAttemptStartedElsewhereIsApplied(backend: Backend) async throws {
        var settings = SimulatorSettings()
        settings.callbacks = false
        try await withTwoInstances(backend, settings, pollA: true) { a, b, platforms, plan in
            let p = plan.id("P")
            try await eventually("A polls the first attempt to success") {
                try await a.states(plan.dataset)["P"] == .success
            }
            let first = try await submittedRun(a, plan.dataset, p)
            try await clear(p, of: plan.dataset, through: b)
            let second = try await submittedRun(b, plan.dataset, p, after: first)
            try await eventually("A polls the second attempt to success") {
                try await b.runs(plan.dataset, p).first { $0.runID == second.runID }?.state == .success
            }
            #expect(try await b.states(plan.dataset)["P"] == .success)
            let runs = try await b.runs(plan.dataset, p)
            #expect(runs.map(\.runID) == [second.runID, first.runID] && runs.allSatisfy { $0.state == .success })
        }
    }

    private struct TwoProducts: Sendable {
        let dataset: UUID
        let ids: [String: UUID]
        func id(_ name: String) -> UUID { ids[name]! }
    }

    /// Instances A and B on one database, both dispatching to one C-AMS simulator; A posts a plan
    /// of an eager product P and a non-eager Q.
    private func withTwoInstances(
        _ backend: Backend, _ settings: SimulatorSettings, pollA: Bool,
        _ body: (API, API, Platforms, TwoProducts) async throws -> Void
    ) async throws {
        let directory = try TemporaryDirectory()
        let database = try await TestDatabase.make(backend, in: directory)
        let (storeA, storeB) = (try await database.open(), try await database.open())
        try await withPlatforms(settings) { platforms in
            let environmentA = platforms.environment(pollA ? ["CAMS_POLL_SECONDS": "0.1"] : [:])
            try await withFletcher(environment: environmentA, store: storeA) { a in
                try await withFletcher(environment: platforms.environment(), store: storeB) { b in
                    var factory = PlanFactory()
                    var plan = dispatchPlan(&factory, ["P", "Q"])
                    plan.dataProducts[1].eager = false
                    let posted = try await a.call("POST", "/api/plan", json: plan, token: try await a.token("admin"))
                    #expect(posted.status == 200, "\(posted.text)")
                    let products = TwoProducts(
                        dataset: factory.datasetID, ids: ["P": factory.id("P"), "Q": factory.id("Q")])
                    try await body(a, b, platforms, products)
                }
            }
        }
    }

    /// The product's newest attempt once the platform has it (other than `previous`).
    private func submittedRun(_ api: API, _ dataset: UUID, _ product: UUID, after previous: RunRecord? = nil)
        async throws -> RunRecord
    {
        var found: RunRecord?
        try await eventually("the attempt is submitted") {
            found = try await api.runs(dataset, product).first {
                $0.runID != previous?.runID && $0.externalID != nil
            }
            return found != nil
        }
        return found!
    }

    private func clear(_ product: UUID, of dataset: UUID, through api: API) async throws {
        let cleared = try await api.call(
            "PUT", "/api/data_product/\(dataset.lowercasedString)/clear", body: #"["\#(product.lowercasedString)"]"#,
            token: try await api.token("admin"))
        #expect(cleared.status == 200, "\(cleared.text)")
    }

    /// A signed C-AMS callback about `run`, sent to `api`; answers the outcome Fletcher reports.
    private func callback(_ api: API, _ platforms: Platforms, _ run: RunRecord, _ status: String) async throws
        -> String?
    {
        let signature = try #require(WebhookSignature(secret: Platforms.secret))
        let body = Array(
            #"{"run_id": "\#(run.runID.lowercasedString)", "job_id": "\#(run.externalID ?? "")", "status": "\#(status)"}"#
                .utf8)
        let id = "msg_" + UUID().uuidString.lowercased()
        let timestamp = Int64(Date().timeIntervalSince1970)
        let reply = try await api.call(
            "POST", "/api/callback/cams", body: String(decoding: body, as: UTF8.self),
            headers: [
                ("webhook-id", id), ("webhook-timestamp", String(timestamp)),
                ("webhook-signature", signature.sign(id: id, timestamp: timestamp, body: body)),
            ])
        #expect(reply.status == 200, "\(reply.text)")
        return reply.object["outcome"] as? String
    }
}
