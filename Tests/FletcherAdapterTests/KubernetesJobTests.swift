import FletcherCore
import FletcherPlatform
import FletcherPlugins
import Foundation
import Testing

@testable import FletcherKubernetes

/// The Kubernetes plugin's pure parts: the Job of an attempt, the state a Job is in, and the
/// configuration mistakes that stop the start.
@Suite("Kubernetes Jobs and configuration")
struct KubernetesJobTests {
    private let attempt = Attempt(
        runID: UUID(uuidString: "6B1E3C2A-0000-4000-8000-00000000000A")!, datasetID: UUID(), dataProductID: UUID(),
        name: "ledger", version: "2.1",
        passthrough: ["image": "busybox", "args": ["x"], "env": ["MODE": "full"], "service_account": "etl"], number: 1)

    @Test func anAttemptIsOneJobNamedAfterItsRunID() throws {
        let job = KubernetesJob.manifest(attempt, namespace: "etl", ttlSeconds: 600)
        #expect(job["metadata"]?["name"] == "fletcher-6b1e3c2a-0000-4000-8000-00000000000a")
        #expect(job["metadata"]?["namespace"] == "etl")
        #expect(job["metadata"]?["labels"]?["app.kubernetes.io/managed-by"] == "fletcher")
        #expect(job["metadata"]?["labels"]?["fletcher.dev/run-id"] == .string(attempt.runID.lowercasedString))
        #expect(job["metadata"]?["annotations"]?["fletcher.dev/name"] == "ledger")
        #expect(job["spec"]?["backoffLimit"] == 0 && job["spec"]?["ttlSecondsAfterFinished"] == 600)
        let pod = try #require(job["spec"]?["template"]?["spec"])
        #expect(pod["restartPolicy"] == "Never" && pod["serviceAccountName"] == "etl")
        guard case .array(let containers) = pod["containers"], case .array(let env) = containers.first?["env"] else {
            Issue.record("no container env: \(job.jsonText)")
            return
        }
        #expect(containers.first?["image"] == "busybox" && containers.first?["args"] == ["x"])
        let names = env.compactMap { $0["name"]?.stringValue }
        #expect(
            names == [
                "FLETCHER_RUN_ID", "FLETCHER_DATASET_ID", "FLETCHER_DATA_PRODUCT_ID", "FLETCHER_PASSTHROUGH", "MODE",
            ])
        #expect(env[3]["value"] == .string(attempt.passthrough!.jsonText))
    }

    @Test func aPodTemplateIsSentAsGiven() {
        var attempt = attempt
        let template: JSONValue = ["spec": ["containers": [["name": "c", "image": "alpine"]]]]
        attempt.passthrough = ["pod_template": template, "namespace": "other"]
        let job = KubernetesJob.manifest(
            attempt, namespace: KubernetesJob.namespace(of: attempt, default: "x"), ttlSeconds: 1)
        #expect(job["spec"]?["template"] == template && job["metadata"]?["namespace"] == "other")
    }

    @Test func aJobsStateComesFromItsConditionsAndPods() {
        let job = { (status: JSONValue) -> JSONValue in ["status": status] }
        #expect(KubernetesJob.status(of: job([:]), link: nil).state == .queued)
        #expect(KubernetesJob.status(of: job(["active": 1]), link: nil).state == .running)
        #expect(KubernetesJob.status(of: job(["ready": 1]), link: nil).state == .running)
        let complete = job(["succeeded": 1, "conditions": [["type": "Complete", "status": "True"]]])
        #expect(
            KubernetesJob.status(of: complete, link: "https://k/1") == RunStatus(state: .success, link: "https://k/1"))
        let failed = job([
            "conditions": [
                ["type": "Complete", "status": "False"],
                ["type": "Failed", "status": "True", "reason": "DeadlineExceeded", "message": "too slow"],
            ]
        ])
        #expect(
            KubernetesJob.status(of: failed, link: nil)
                == RunStatus(state: .failed, passback: ["reason": "DeadlineExceeded", "message": "too slow"]))
    }

    private func configure(_ values: [String: String]) -> Result<PluginSetup?, PluginConfigurationError> {
        let plugin = PlatformRegistry.builtIn.plugin(Compute(rawValue: "kubernetes")!)!
        return Result { () throws(PluginConfigurationError) in
            try plugin.configure(PluginVariables(compute: plugin.compute, values: values))
        }
    }

    private func failure(_ values: [String: String]) -> String? {
        guard case .failure(let error) = configure(values) else { return nil }
        return error.description
    }

    @Test func misconfigurationStopsTheStartNamingTheVariable() {
        #expect(failure([:]) == nil)
        #expect(
            failure(["KUBERNETES_URL": "k8s.local"]) == "KUBERNETES_URL 'k8s.local' must be an absolute http(s) URL")
        #expect(
            failure(["KUBERNETES_NAMESPACE": "Team_A"])?.hasPrefix("KUBERNETES_NAMESPACE 'Team_A' must be a DNS label")
                == true)
        #expect(
            failure(["KUBERNETES_URL": "https://k", "KUBERNETES_TOKEN_FILE": "/nonexistent/token"])
                == "KUBERNETES_TOKEN_FILE: cannot read the file /nonexistent/token")
        #expect(
            failure(["KUBERNETES_TOKEN": "a", "KUBERNETES_TOKEN_FILE": "/etc/hostname"])?.contains("both set") == true)
        #expect(
            failure(["KUBERNETES_TTL_SECONDS": "soon"])?.hasPrefix("KUBERNETES_TTL_SECONDS must be a whole number")
                == true)
        #expect(
            failure(["KUBERNETES_URL": "in-cluster"])?.hasPrefix(
                "KUBERNETES_URL is in-cluster, but KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not both set"
            )
                == true)
        #expect(
            failure([
                "KUBERNETES_URL": "in-cluster", "KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443",
                "KUBERNETES_SERVICE_ACCOUNT_DIR": "/nonexistent",
            ]) == "KUBERNETES_URL is in-cluster, but /nonexistent/ca.crt cannot be read")
    }

    @Test func inClusterUsesThePodsServiceAccount() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sa-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for (file, text) in [("ca.crt", "pem"), ("token", "t0ken\n"), ("namespace", "etl\n")] {
            try Data(text.utf8).write(to: directory.appendingPathComponent(file))
        }
        let setup = try configure([
            "KUBERNETES_URL": "in-cluster", "KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "6443",
            "KUBERNETES_SERVICE_ACCOUNT_DIR": directory.path,
        ]).get()
        #expect(setup?.url == "https://10.0.0.1:6443")
        #expect(setup?.caFile == directory.appendingPathComponent("ca.crt").path)
        let settings = try #require(
            try KubernetesSettings.read(
                PluginVariables(
                    compute: Compute(rawValue: "kubernetes")!,
                    values: [
                        "KUBERNETES_URL": "in-cluster", "KUBERNETES_SERVICE_HOST": "fd00::1",
                        "KUBERNETES_SERVICE_PORT": "443", "KUBERNETES_SERVICE_ACCOUNT_DIR": directory.path,
                    ])))
        #expect(
            settings.url == "https://[fd00::1]:443" && settings.namespace == "etl" && settings.token?.current == "t0ken"
        )
    }

    @Test func aTokenFileIsReadAgainWhenItChanges() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("token-\(UUID())")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data("first".utf8).write(to: file)
        let source = TokenSource.file(file.path)
        #expect(source.current == "first")
        try Data("second-token".utf8).write(to: file)
        #expect(source.current == "second-token")
    }
}
