import FletcherCore
import FletcherKubernetes
import FletcherSimulators
import FletcherTestSupport
import Foundation
import Testing

/// Dispatch end to end: Fletcher over real HTTP (libcurl) to the simulators of the built-in
/// platforms on loopback, reports coming back by callback, the Kubernetes watch, or poll.
@Suite("Dispatch to the platform simulators")
struct DispatchTests {
    @Test(arguments: Backend.available)
    func aPlanRunsToSuccessByItselfWithCallbacks(backend: Backend) async throws {
        let directory = try TemporaryDirectory()
        let store = try await TestDatabase.make(backend, in: directory).open()
        try await withPlatforms { platforms in
            try await withFletcher(environment: platforms.environment(), store: store) { api in
                platforms.notify(api)
                var factory = PlanFactory()
                let plan = dispatchPlan(
                    &factory, ["A", "B", "C", "D", "E", "F", "G"],
                    [("A", "C"), ("B", "C"), ("C", "D"), ("C", "E"), ("F", "C"), ("E", "G")],
                    dbxaas: ["B", "D"], kubernetes: ["E", "F"])
                let posted = try await api.call("POST", "/api/plan", json: plan, token: try await api.token("admin"))
                #expect(posted.status == 200, "\(posted.text)")
                try await eventually("every product succeeds") {
                    try await api.states(factory.datasetID).values.allSatisfy { $0 == .success }
                }
                try await expectRecorded(api, plan, platforms)
            }
        }
    }

    @Test func aPlanRunsToSuccessByPollingAlone() async throws {
        var settings = SimulatorSettings()
        settings.callbacks = false
        try await withPlatforms(settings) { platforms in
            let environment = platforms.environment([
                "CAMS_POLL_SECONDS": "0.1", "DBXAAS_POLL_SECONDS": "0.1", "KUBERNETES_POLL_SECONDS": "0.1",
            ])
            try await withFletcher(environment: environment) { api in
                var factory = PlanFactory()
                let plan = dispatchPlan(
                    &factory, ["A", "B", "C", "D"], [("A", "B"), ("B", "C"), ("C", "D")], dbxaas: ["B"],
                    kubernetes: ["C"])
                _ = try await api.call("POST", "/api/plan", json: plan, token: try await api.token("admin"))
                try await eventually("every product succeeds") {
                    try await api.states(factory.datasetID).values.allSatisfy { $0 == .success }
                }
                try await expectRecorded(api, plan, platforms)
            }
        }
    }

    /// A non-eager product queued by `PUT …/trigger` goes out like an eager one; a DBXaaS product
    /// without a job id is refused at post while DBXaaS dispatch is on.
    @Test func triggeredProductsAreDispatchedAndDBXaaSNeedsAJobID() async throws {
        try await withPlatforms { platforms in
            try await withFletcher(environment: platforms.environment()) { api in
                platforms.notify(api)
                let token = try await api.token("admin")
                var factory = PlanFactory()
                let plan = dispatchPlan(&factory, ["A", "D"], dbxaas: ["D"], eager: false)
                _ = try await api.call("POST", "/api/plan", json: plan, token: token)
                #expect(try await api.states(factory.datasetID).values.allSatisfy { $0 == .waiting })
                let ids = [factory.id("A"), factory.id("D")].map { #""\#($0.lowercasedString)""# }
                let triggered = try await api.call(
                    "PUT", "/api/data_product/\(factory.datasetID.lowercasedString)/trigger",
                    body: "[\(ids.joined(separator: ","))]", token: token)
                #expect(triggered.status == 200, "\(triggered.text)")
                try await eventually("both succeed") {
                    try await api.states(factory.datasetID).values.allSatisfy { $0 == .success }
                }
                #expect(platforms.cams.jobs.count == 1 && platforms.dbxaas.jobs.count == 1)

                var bad = dispatchPlan(&factory, ["E"], dbxaas: ["E"])
                bad.dataProducts[0].passthrough = ["job_id": "twelve"]
                let refused = try await api.call("POST", "/api/plan", json: bad, token: token)
                #expect(refused.status == 400)
                #expect(refused.detail?.contains(factory.id("E").lowercasedString) == true, "\(refused.text)")
            }
        }
    }

    /// Links, passbacks and one complete run per product.
    private func expectRecorded(_ api: API, _ param: PlanParam, _ platforms: Platforms) async throws {
        let plan = try await api.plan(param.dataset.id)
        for product in plan.dataProducts {
            let runs = try await api.runs(param.dataset.id, product.id)
            let run = try #require(runs.first)
            #expect(runs.count == 1, "\(product.name): \(runs)")
            #expect(run.runID == product.runID && run.state == .success && run.attempts == 1)
            #expect(run.externalID != nil && run.submittedAt != nil && run.finishedAt != nil)
            #expect(run.startedAt.map { $0 <= run.finishedAt! } ?? false)
            let links: [Compute: String] = [
                .cams: platforms.camsURL, .dbxaas: platforms.dbxaasURL, .kubernetes: "https://k8s.example/",
            ]
            #expect(product.link?.hasPrefix(links[product.compute]!) == true, "\(product.name): \(product.link ?? "")")
            if product.compute == .cams {
                #expect(product.passback?["rows"] == .int(42), "the job's output is the passback")
            }
            if product.compute == .kubernetes {
                #expect(platforms.kubernetes.creates(of: "fletcher-\(run.runID.lowercasedString)") == 1)
            }
        }
        let ids = { (compute: Compute) in
            Set(plan.dataProducts.filter { $0.compute == compute }.map(\.id.lowercasedString))
        }
        #expect(platforms.jobsPerProduct == Dictionary(uniqueKeysWithValues: ids(.cams).map { ($0, 1) }))
        #expect(platforms.dbxaas.jobs.count == ids(.dbxaas).count)
        #expect(platforms.kubernetes.jobs.count == ids(.kubernetes).count)
    }

    /// Exactly once (R2 in one process): lost answers, stalls past the client's timeout and
    /// outages make Fletcher resubmit with the same idempotency key, never start a second run.
    @Test func retriesAfterLostAnswersNeverStartASecondRun() async throws {
        var settings = SimulatorSettings()
        settings.stallSeconds = 4
        try await withPlatforms(settings) { platforms in
            platforms.cams.inject([.acceptThenFail, .timeout, .serverError, .acceptThenFail], on: .submit)
            platforms.dbxaas.inject([.acceptThenFail, .timeout, .throttle(retryAfter: 0)], on: .submit)
            // The stall outlasts the client's timeout by far; an ordinary answer fits in it even on a
            // loaded machine, and attempts are not the limit under test.
            let environment = platforms.environment([
                "CAMS_TIMEOUT_SECONDS": "1.5", "DBXAAS_TIMEOUT_SECONDS": "1.5", "DISPATCH_MAX_ATTEMPTS": "100",
            ])
            try await withFletcher(environment: environment) { api in
                platforms.notify(api)
                var factory = PlanFactory()
                let plan = dispatchPlan(&factory, ["A", "B", "C", "D"], dbxaas: ["C", "D"])
                _ = try await api.call("POST", "/api/plan", json: plan, token: try await api.token("admin"))
                try await eventually("every product succeeds") {
                    try await api.states(factory.datasetID).values.allSatisfy { $0 == .success }
                }
                #expect(platforms.jobsPerProduct.values.allSatisfy { $0 == 1 } && platforms.jobsPerProduct.count == 2)
                #expect(platforms.dbxaas.jobs.count == 2)
                let resubmitted =
                    platforms.cams.submitsByKey.values.filter { $0 > 1 }.count
                    + platforms.dbxaas.submitsByKey.values.filter { $0 > 1 }.count
                #expect(resubmitted >= 2, "faults must have forced resubmits")
                let runs = try await api.runs(factory.datasetID, factory.id("A"))
                #expect(runs.count == 1 && runs[0].state == .success)
            }
        }
    }
}
