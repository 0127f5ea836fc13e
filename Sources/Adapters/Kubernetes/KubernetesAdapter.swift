import FletcherCore
import FletcherHTTP
import FletcherPlatform
import Foundation

/// Kubernetes batch/v1 Jobs: one Job per attempt, named after its run id so a repeated create is
/// the idempotent `AlreadyExists`; followed by a watch stream, polled as the safety net.
struct KubernetesAdapter: ComputeAdapter {
    let compute: Compute
    let settings: KubernetesSettings
    let api: KubernetesClient

    private func jobsPath(_ namespace: String) -> String {
        "/apis/batch/v1/namespaces/\(pathSegment(namespace))/jobs"
    }

    private func reference(_ externalID: String) -> (namespace: String, name: String) {
        let parts = externalID.split(separator: "/", maxSplits: 1).map(String.init)
        return parts.count == 2 ? (parts[0], parts[1]) : (settings.namespace, externalID)
    }

    func submit(_ attempt: Attempt) async throws(AdapterError) -> Submission {
        let namespace = KubernetesJob.namespace(of: attempt, default: settings.namespace)
        let name = KubernetesJob.name(of: attempt.runID)
        let job: JSONValue
        do {
            job = try await api.call(
                "POST", jobsPath(namespace),
                body: KubernetesJob.manifest(attempt, namespace: namespace, ttlSeconds: settings.ttlSeconds))
        } catch let failure where failure.status == 409 && failure.reason == "AlreadyExists" {
            // The create of an earlier try went through: carry on with that Job.
            do {
                job = try await api.call("GET", jobsPath(namespace) + "/" + pathSegment(name))
            } catch {
                throw error.error
            }
        } catch {
            throw error.error
        }
        let link = settings.link(namespace: namespace, name: name)
        return Submission(
            externalID: "\(namespace)/\(name)", link: link, state: KubernetesJob.status(of: job, link: link).state)
    }

    func status(_ run: RunRef) async throws(AdapterError) -> RunStatus {
        let (namespace, name) = reference(run.externalID)
        do {
            let job = try await api.call("GET", jobsPath(namespace) + "/" + pathSegment(name))
            return KubernetesJob.status(of: job, link: settings.link(namespace: namespace, name: name))
        } catch let failure where failure.status == 404 {
            return KubernetesJob.deleted(run.externalID)
        } catch {
            throw error.error
        }
    }

    func cancel(_ run: RunRef) async throws(AdapterError) {
        let (namespace, name) = reference(run.externalID)
        do {
            _ = try await api.call(
                "DELETE", jobsPath(namespace) + "/" + pathSegment(name) + "?propagationPolicy=Background")
        } catch let failure where failure.status == 404 {
            return  // already gone
        } catch {
            throw error.error
        }
    }

    func verifyCallback(headers: [String: String], body: [UInt8], now: Timestamp) throws(CallbackRejection)
        -> CallbackEvent
    {
        throw .unauthorized("Kubernetes reports through its watch stream, not by callback")
    }

    func follow(_ deliver: @escaping @Sendable (CallbackEvent) async -> Void) async {
        await KubernetesWatch(api: api, path: jobsPath(settings.namespace), settings: settings).run(deliver)
    }
}
