import FletcherCAMS
import FletcherCore
import FletcherHTTP
import FletcherKubernetes
import FletcherSimulators
import FletcherTestSupport
import Foundation
import Testing

/// R2 and R7 for dispatch: `fletcher serve` is killed with SIGKILL in the middle of a dispatch
/// storm over C-AMS and Kubernetes; after a restart (or with a second instance carrying on) every
/// product runs exactly once on its platform: C-AMS counts submits per idempotency key, the
/// Kubernetes simulator books one Job per name, and the name is the attempt's run id.
@Suite("Dispatch across crashes and instances")
struct CrashDispatchTests {
    static let secret = "whsec_" + Data("crash-test-webhook-secret-32byte".utf8).base64EncodedString()

    @Test(arguments: Backend.available)
    func aKilledServerResumesAndEveryProductRunsExactlyOnce(backend: Backend) async throws {
        try await storm(backend: backend, instances: backend == .postgres ? 2 : 1)
    }

    /// Posts 90 eager products (3 layers of 30) to instance 0, kills it once 20 jobs exist, then
    /// restarts it (one instance) or lets the other carry on (two instances on PostgreSQL).
    private func storm(backend: Backend, instances: Int) async throws {
        var settings = SimulatorSettings()
        settings.runSeconds = 0.05
        settings.serverErrorRatio = 0.05
        settings.timeoutRatio = 0.03
        settings.stallSeconds = 1
        let cams = CAMSSimulator(settings: settings, token: "t", callbackSecret: Self.secret)
        let kubernetes = KubernetesSimulator(settings: settings, token: "k")
        let (simulator, simulatorPorts) = loopbackApplication(cams.router())
        let (cluster, clusterPorts) = loopbackApplication(kubernetes.router())
        try await withRunningServer(cluster, ports: clusterPorts) { kubernetesPort in
            try await withRunningServer(simulator, ports: simulatorPorts) { camsPort in
                let directory = try TemporaryDirectory()
                let database = try await TestDatabase.make(backend, in: directory)
                let hash = try #require(
                    try await fletcher(["hash-key", "--key", "k3y", "--cost", "4"]).stdout.split(separator: " ").last
                )
                .trimmingCharacters(in: .whitespacesAndNewlines)
                let ports = try (0..<instances).map { _ in try freeLoopbackPort() }
                func environment(_ port: Int) -> [String: String] {
                    [
                        "DATABASE_URL": backend == .sqlite ? "sqlite:\(database.url)" : database.url,
                        "BASE_URL": "http://127.0.0.1:\(port)", "SECRET_KEY": String(repeating: "z", count: 32),
                        "REMOTE_APIS": #"[{"service": "ops", "hash": "\#(hash)", "roles": ["publish", "update"]}]"#,
                        "CAMS_URL": "http://127.0.0.1:\(camsPort)", "CAMS_TOKEN": "t",
                        "CAMS_CALLBACK_SECRET": Self.secret,
                        "CAMS_POLL_SECONDS": "0.3", "CAMS_TIMEOUT_SECONDS": "0.4", "DISPATCH_LEASE_SECONDS": "1",
                        "DISPATCH_BACKOFF_BASE_SECONDS": "0.05", "DISPATCH_BACKOFF_CAP_SECONDS": "0.3",
                        "DISPATCH_MAX_ATTEMPTS": "100", "LOG_LEVEL": "notice",
                        "KUBERNETES_URL": "http://127.0.0.1:\(kubernetesPort)", "KUBERNETES_TOKEN": "k",
                        "KUBERNETES_POLL_SECONDS": "0.3", "KUBERNETES_TIMEOUT_SECONDS": "0.4",
                    ]
                }
                func start(_ instance: Int) async throws -> LiveProcess {
                    let server = try LiveProcess(
                        ["serve"], environment: environment(ports[instance]), directory: directory.url)
                    _ = try await server.line(containing: "Fletcher is serving")
                    return server
                }
                var servers = [try await start(0)]
                for instance in 1..<instances { servers.append(try await start(instance)) }

                let client = HTTPClient()
                let survivor = "http://127.0.0.1:\(ports[instances - 1])"
                let login = try await client.execute(
                    HTTPClientRequest(
                        method: "POST", url: "http://127.0.0.1:\(ports[0])/api/authenticate",
                        headers: [("Content-Type", "application/json")],
                        body: Array(#"{"service": "ops", "key": "k3y"}"#.utf8)))
                let token = try #require(
                    (try JSONSerialization.jsonObject(with: Data(login.body)) as? [String: Any])?["access_token"]
                        as? String
                )
                var factory = PlanFactory()
                let names = (0..<90).map { "P\($0)" }
                let edges = (30..<90).map { ("P\($0 - 30)", "P\($0)") }
                var plan = factory.plan(names, edges)
                for index in plan.dataProducts.indices where index % 3 == 2 {
                    plan.dataProducts[index].compute = Compute(rawValue: "kubernetes")!
                    plan.dataProducts[index].passthrough = ["image": "busybox"]
                }
                let onKubernetes = plan.dataProducts.filter { $0.compute.rawValue == "kubernetes" }.count
                let posted = try await client.execute(
                    HTTPClientRequest(
                        method: "POST", url: "http://127.0.0.1:\(ports[0])/api/plan",
                        headers: [("Content-Type", "application/json"), ("Authorization", "Bearer \(token)")],
                        body: Array(try JSONEncoder().encode(plan))))
                #expect(posted.status == 200, "\(posted.text)")

                try await eventually("20 jobs on the platforms", timeout: .seconds(60)) {
                    cams.jobs.count + kubernetes.jobs.count >= 20
                }
                await servers[0].kill()
                #expect(cams.jobs.count + kubernetes.jobs.count < 90, "the kill must land mid-storm")
                if instances == 1 { servers[0] = try await start(0) }

                try await eventually("every product succeeds", timeout: .seconds(40)) {
                    let reply = try await client.execute(
                        HTTPClientRequest(url: "\(survivor)/api/plan/\(factory.datasetID.lowercasedString)"))
                    let current = try JSONDecoder().decode(Plan.self, from: Data(reply.body))
                    return current.dataProducts.allSatisfy { $0.state == .success }
                }
                let jobs = Dictionary(grouping: cams.jobs) { $0.request["data_product_id"] ?? "?" }
                #expect(jobs.count == 90 - onKubernetes, "every C-AMS product reached the platform")
                let twice = jobs.filter { $0.value.count != 1 }.map(\.key)
                #expect(twice.isEmpty, "products run more than once: \(twice)")
                let keys = cams.submitsByKey
                #expect(keys.count == 90 - onKubernetes, "one idempotency key (run id) per product: \(keys.count)")
                #expect(kubernetes.jobs.count == onKubernetes, "one Job per Kubernetes product")
                for server in servers.suffix(instances == 1 ? 1 : instances - 1) { _ = try await server.terminate() }
            }
        }
    }
}
