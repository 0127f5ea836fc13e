import FletcherCAMS
import FletcherCore
import FletcherDBXaaS
import FletcherHTTP
import FletcherKubernetes
import FletcherPlatform
import FletcherSimulators
import FletcherTestSupport
import Foundation
import Testing

/// The simulators of the built-in platforms on loopback, and the Fletcher configuration that
/// dispatches to them.
struct Platforms: Sendable {
    let cams: CAMSSimulator
    let dbxaas: DBXaaSSimulator
    let kubernetes: KubernetesSimulator
    let camsURL: String
    let dbxaasURL: String
    let kubernetesURL: String

    static let secret = "whsec_" + Data("fletcher-test-webhook-secret-32b".utf8).base64EncodedString()
    static let webhook = BasicCredentials(user: "dbx", password: "hook-password")
    static let kubernetesToken = "k8s-token"
    static let kubernetesLinks = "https://k8s.example/{namespace}/{name}"

    /// Fletcher's variables for dispatching to all three, callbacks and the watch only (no
    /// polling), fast retries.
    func environment(_ overrides: [String: String] = [:]) -> [String: String] {
        var environment = [
            "CAMS_URL": camsURL, "CAMS_TOKEN": "cams-token", "CAMS_CALLBACK_SECRET": Self.secret,
            "DBXAAS_URL": dbxaasURL, "DBXAAS_TOKEN": "dbx-token", "DBXAAS_WEBHOOK_USER": Self.webhook.user,
            "DBXAAS_WEBHOOK_PASSWORD": Self.webhook.password, "CAMS_POLL_SECONDS": "0", "DBXAAS_POLL_SECONDS": "0",
            "DISPATCH_BACKOFF_BASE_SECONDS": "0.02", "DISPATCH_BACKOFF_CAP_SECONDS": "0.2",
            "KUBERNETES_URL": kubernetesURL, "KUBERNETES_TOKEN": Self.kubernetesToken, "KUBERNETES_POLL_SECONDS": "0",
            "KUBERNETES_LINK_TEMPLATE": Self.kubernetesLinks,
        ]
        environment.merge(overrides) { _, new in new }
        return environment
    }

    /// Points DBXaaS notifications at the Fletcher under test.
    func notify(_ api: API) {
        dbxaas.notify(api.base + "/api/callback/dbxaas", credentials: Self.webhook)
    }

    /// Jobs each product got on its platform: exactly one per attempt is the exactly-once property.
    var jobsPerProduct: [String: Int] {
        var counts: [String: Int] = [:]
        for job in cams.jobs { counts[job.request["data_product_id"] ?? "?", default: 0] += 1 }
        return counts
    }
}

func withPlatforms<T: Sendable>(
    _ settings: SimulatorSettings = SimulatorSettings(), _ body: (Platforms) async throws -> T
) async throws -> T {
    let cams = CAMSSimulator(settings: settings, token: "cams-token", callbackSecret: Platforms.secret)
    let dbxaas = DBXaaSSimulator(settings: settings, token: "dbx-token")
    let kubernetes = KubernetesSimulator(settings: settings, token: Platforms.kubernetesToken)
    let (camsApp, camsPorts) = loopbackApplication(cams.router())
    let (dbxaasApp, dbxaasPorts) = loopbackApplication(dbxaas.router())
    let (kubernetesApp, kubernetesPorts) = loopbackApplication(kubernetes.router())
    return try await withRunningServer(camsApp, ports: camsPorts) { camsPort in
        try await withRunningServer(dbxaasApp, ports: dbxaasPorts) { dbxaasPort in
            try await withRunningServer(kubernetesApp, ports: kubernetesPorts) { kubernetesPort in
                try await body(
                    Platforms(
                        cams: cams, dbxaas: dbxaas, kubernetes: kubernetes, camsURL: "http://127.0.0.1:\(camsPort)",
                        dbxaasURL: "http://127.0.0.1:\(dbxaasPort)", kubernetesURL: "http://127.0.0.1:\(kubernetesPort)"
                    ))
            }
        }
    }
}

extension API {
    func plan(_ id: UUID) async throws -> Plan {
        let reply = try await call("GET", "/api/plan/\(id.lowercasedString)")
        guard reply.status == 200 else { throw APIFailure("GET plan: \(reply.status) \(reply.text)") }
        return try reply.decode(Plan.self)
    }

    func runs(_ dataset: UUID, _ product: UUID) async throws -> [RunRecord] {
        let reply = try await call(
            "GET", "/api/data_product/\(dataset.lowercasedString)/\(product.lowercasedString)/runs")
        guard reply.status == 200 else { throw APIFailure("GET runs: \(reply.status) \(reply.text)") }
        return try reply.decode([RunRecord].self)
    }

    /// Each product's state and attempts, for a failure message: what a wait on the plan saw last.
    func describe(_ id: UUID) async -> String {
        do {
            var lines: [String] = []
            for product in try await plan(id).dataProducts {
                let runs = try await runs(id, product.id).map {
                    "\($0.compute) \($0.state) submits \($0.attempts) submitted \($0.submittedAt.map { "\($0)" } ?? "-")"
                        + " finished \($0.finishedAt.map { "\($0)" } ?? "-") \($0.lastError ?? "")"
                }
                lines.append("\(product.name): \(product.state) runs \(runs)")
            }
            return lines.joined(separator: "\n")
        } catch {
            return "(the plan could not be read: \(error))"
        }
    }

    /// States by product name.
    func states(_ id: UUID) async throws -> [String: State] {
        Dictionary(uniqueKeysWithValues: try await plan(id).dataProducts.map { ($0.name, $0.state) })
    }

    /// The plan as stored now and the latest recorded attempt of each product that has one, by
    /// the product's position: what the timeline is drawn from.
    func latestAttempts(_ id: UUID) async throws -> (state: PlanState, runs: [Int: RunRecord]) {
        let state = PlanState(plan: try await plan(id), version: 0)
        var runs: [Int: RunRecord] = [:]
        for (position, product) in state.products.enumerated() {
            runs[position] = try await self.runs(id, product.id).first
        }
        return (state, runs)
    }
}

extension [Int: RunRecord] {
    /// The critical path's inputs: each attempt's recorded times.
    var attemptSpans: [Int: AttemptSpan] {
        mapValues { AttemptSpan(queued: $0.queuedAt, started: $0.startedAt, finished: $0.finishedAt) }
    }
}

/// A plan over the built-in platforms: `names` in order, C-AMS unless named in `dbxaas` (those
/// get a job id) or `kubernetes` (those get an image).
func dispatchPlan(
    _ factory: inout PlanFactory, _ names: [String], _ edges: [(String, String)] = [], dbxaas: Set<String> = [],
    kubernetes: Set<String> = [], eager: Bool = true
) -> PlanParam {
    var plan = factory.plan(names, edges, eager: eager)
    for index in plan.dataProducts.indices {
        let name = plan.dataProducts[index].name
        if dbxaas.contains(name) {
            plan.dataProducts[index].compute = .dbxaas
            plan.dataProducts[index].passthrough = ["job_id": .int(Int64(index + 1))]
        } else if kubernetes.contains(name) {
            plan.dataProducts[index].compute = .kubernetes
            plan.dataProducts[index].passthrough = ["image": "busybox:1.36", "args": [.string(name)]]
        } else {
            plan.dataProducts[index].passthrough = ["table": .string(name)]
        }
    }
    return plan
}
