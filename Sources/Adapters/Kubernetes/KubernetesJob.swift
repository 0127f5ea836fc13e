import FletcherCore
import FletcherPlatform
import Foundation

/// A product's `passthrough` on Kubernetes, and the Job Fletcher makes of one attempt.
enum KubernetesJob {
    static let managedBy = "app.kubernetes.io/managed-by"
    static let runIDLabel = "fletcher.dev/run-id"
    static let imageFields: Set<String> = [
        "image", "command", "args", "env", "resources", "service_account", "active_deadline_seconds",
    ]
    static let fields = imageFields.union(["pod_template", "namespace"])

    /// The Job of one attempt: its name makes a repeated create the idempotent `AlreadyExists`.
    static func name(of runID: UUID) -> String { "fletcher-\(runID.lowercasedString)" }

    /// The post-time check while Kubernetes dispatch is on: either `image` (and the fields that go
    /// with it) or a complete `pod_template`; `namespace` with either.
    static func problem(in passthrough: JSONValue?) -> PassthroughProblem? {
        guard case .object(let object) = passthrough else {
            return PassthroughProblem(field: "", "must be an object with 'image' or 'pod_template'")
        }
        if let unknown = object.keys.sorted().first(where: { !fields.contains($0) }) {
            return PassthroughProblem(
                field: unknown,
                "is not a Kubernetes passthrough field (known: \(fields.sorted().joined(separator: ", ")))")
        }
        if let namespace = object["namespace"] {
            guard case .string(let name) = namespace, KubernetesSettings.isDNSLabel(name) else {
                return PassthroughProblem(field: "namespace", "must be a DNS label (lowercase letters, digits and '-')")
            }
        }
        if let template = object["pod_template"] {
            if let other = object.keys.sorted().first(where: imageFields.contains) {
                return PassthroughProblem(field: other, "cannot be combined with pod_template, which is sent as given")
            }
            guard case .object(let spec) = template, case .object = spec["spec"] else {
                return PassthroughProblem(field: "pod_template", "must be a PodTemplateSpec object with a 'spec'")
            }
            return nil
        }
        guard case .string(let image) = object["image"], !image.isEmpty else {
            return PassthroughProblem(field: "image", "must be a container image (or give a pod_template)")
        }
        for field in ["command", "args"] {
            if let value = object[field], !isStrings(value) {
                return PassthroughProblem(field: field, "must be an array of strings")
            }
        }
        if let env = object["env"] {
            guard case .object(let variables) = env, variables.values.allSatisfy({ $0.stringValue != nil }) else {
                return PassthroughProblem(field: "env", "must be an object of strings")
            }
        }
        if let resources = object["resources"], case .object = resources {
        } else if object["resources"] != nil {
            return PassthroughProblem(field: "resources", "must be a container resources object")
        }
        if let account = object["service_account"], account.stringValue?.isEmpty != false {
            return PassthroughProblem(field: "service_account", "must be a service account name")
        }
        if let deadline = object["active_deadline_seconds"], (deadline.intValue ?? 0) <= 0 {
            return PassthroughProblem(field: "active_deadline_seconds", "must be a whole number of seconds above 0")
        }
        return nil
    }

    private static func isStrings(_ value: JSONValue) -> Bool {
        guard case .array(let items) = value else { return false }
        return items.allSatisfy { $0.stringValue != nil }
    }

    /// The namespace of an attempt: the product's own, else the configured one.
    static func namespace(of attempt: Attempt, default namespace: String) -> String {
        attempt.passthrough?["namespace"]?.stringValue ?? namespace
    }

    /// The Job manifest of `attempt`.
    static func manifest(_ attempt: Attempt, namespace: String, ttlSeconds: Int) -> JSONValue {
        let labels: JSONValue = [
            managedBy: "fletcher", runIDLabel: .string(attempt.runID.lowercasedString),
            "fletcher.dev/dataset": .string(attempt.datasetID.lowercasedString),
            "fletcher.dev/data-product": .string(attempt.dataProductID.lowercasedString),
        ]
        let passthrough = attempt.passthrough ?? [:]
        var spec: [String: JSONValue] = [
            "backoffLimit": 0, "ttlSecondsAfterFinished": .int(Int64(ttlSeconds)),
        ]
        if let template = passthrough["pod_template"] {
            spec["template"] = template
        } else {
            var container: [String: JSONValue] = ["name": "main", "image": passthrough["image"] ?? .null]
            for field in ["command", "args", "resources"] {
                if let value = passthrough[field] { container[field] = value }
            }
            var env: [JSONValue] = [
                ["name": "FLETCHER_RUN_ID", "value": .string(attempt.runID.lowercasedString)],
                ["name": "FLETCHER_DATASET_ID", "value": .string(attempt.datasetID.lowercasedString)],
                ["name": "FLETCHER_DATA_PRODUCT_ID", "value": .string(attempt.dataProductID.lowercasedString)],
                ["name": "FLETCHER_PASSTHROUGH", "value": .string(passthrough.jsonText)],
            ]
            if case .object(let variables) = passthrough["env"] {
                env += variables.keys.sorted().map { ["name": .string($0), "value": variables[$0]!] }
            }
            container["env"] = .array(env)
            var podSpec: [String: JSONValue] = ["restartPolicy": "Never", "containers": [.object(container)]]
            if let account = passthrough["service_account"] { podSpec["serviceAccountName"] = account }
            spec["template"] = ["metadata": ["labels": labels], "spec": .object(podSpec)]
            if let deadline = passthrough["active_deadline_seconds"] { spec["activeDeadlineSeconds"] = deadline }
        }
        return [
            "apiVersion": "batch/v1", "kind": "Job",
            "metadata": [
                "name": .string(name(of: attempt.runID)), "namespace": .string(namespace), "labels": labels,
                "annotations": [
                    "fletcher.dev/name": .string(attempt.name), "fletcher.dev/version": .string(attempt.version),
                ],
            ],
            "spec": .object(spec),
        ]
    }

    /// Where a Job is, from its status: a `Complete` condition is success, `Failed` is failed
    /// (its reason and message the passback), an active or ready pod is running, else queued.
    static func status(of job: JSONValue, link: String?) -> RunStatus {
        let conditions: [JSONValue] = if case .array(let items) = job["status"]?["conditions"] { items } else { [] }
        let holding = { (type: String) in
            conditions.first { $0["type"]?.stringValue == type && $0["status"]?.stringValue == "True" }
        }
        if holding("Complete") != nil { return RunStatus(state: .success, link: link) }
        if let failed = holding("Failed") {
            return RunStatus(
                state: .failed, link: link,
                passback: ["reason": failed["reason"] ?? .null, "message": failed["message"] ?? .null])
        }
        let active = (job["status"]?["active"]?.intValue ?? 0) + (job["status"]?["ready"]?.intValue ?? 0)
        return RunStatus(state: active > 0 ? .running : .queued, link: link)
    }

    /// A run whose Job is gone before it finished.
    static func deleted(_ name: String) -> RunStatus {
        RunStatus(
            state: .failed,
            passback: ["reason": "JobDeleted", "message": .string("the Job \(name) was deleted outside Fletcher")])
    }

    /// The run id a Job of Fletcher's carries.
    static func runID(of job: JSONValue) -> UUID? {
        job["metadata"]?["labels"]?[runIDLabel]?.stringValue.flatMap(UUID.init(uuidString:))
    }
}
