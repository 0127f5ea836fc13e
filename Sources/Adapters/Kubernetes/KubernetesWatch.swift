import FletcherCore
import FletcherHTTP
import FletcherPlatform
import Foundation

/// The platform's callback: list Fletcher's Jobs of the configured namespace (reporting where each
/// is, which also catches up on whatever happened while nobody watched), then watch from the
/// list's resourceVersion. A watch that ends is resumed from the last version seen; one that the
/// API server no longer can resume (410 Gone, an ERROR event) or that fails is followed by a new
/// list. Jobs in other namespaces (`passthrough.namespace`) are followed by polling alone.
struct KubernetesWatch: Sendable {
    let api: KubernetesClient
    /// The namespace's jobs collection.
    let path: String
    let settings: KubernetesSettings
    /// How long one watch request stays open on the server's side.
    static let watchSeconds = 290

    private enum End: Error {
        /// The version to resume from is gone: list again.
        case expired
        case failed(String)
    }

    private var selector: String { "labelSelector=app.kubernetes.io%2Fmanaged-by%3Dfletcher" }

    func run(_ deliver: @escaping @Sendable (CallbackEvent) async -> Void) async {
        var resourceVersion: String?
        var failures = 0
        while !Task.isCancelled {
            do {
                let from: String
                if let resourceVersion { from = resourceVersion } else { from = try await list(deliver) }
                resourceVersion = try await watch(from: from, deliver)
                failures = 0
            } catch End.expired {
                resourceVersion = nil
            } catch {
                if Task.isCancelled { return }
                resourceVersion = nil
                failures += 1
                // Back off while the API server is away: 0.5 s, 1 s, 2 s … at most 30 s.
                try? await Task.sleep(for: .milliseconds(min(500 << min(failures - 1, 6), 30_000)))
            }
        }
    }

    /// Reports every Job of Fletcher's there is; returns the list's resourceVersion.
    private func list(_ deliver: @Sendable (CallbackEvent) async -> Void) async throws -> String {
        let answer: JSONValue
        do {
            answer = try await api.call("GET", path + "?" + selector)
        } catch {
            throw End.failed(error.error.message)
        }
        if case .array(let jobs) = answer["items"] {
            for job in jobs { await report(job, deleted: false, deliver) }
        }
        guard let version = answer["metadata"]?["resourceVersion"]?.stringValue else {
            throw End.failed("the job list has no resourceVersion")
        }
        return version
    }

    /// Follows one watch request; returns the version to resume from when it ends.
    private func watch(from version: String, _ deliver: @Sendable (CallbackEvent) async -> Void) async throws
        -> String
    {
        let request = HTTPClientRequest(
            url: api.baseURL + path
                + "?watch=1&allowWatchBookmarks=true&timeoutSeconds=\(Self.watchSeconds)&resourceVersion=\(version)&\(selector)",
            headers: api.headers(json: false), timeout: .seconds(Self.watchSeconds + 30))
        let (chunks, continuation) = AsyncStream.makeStream(of: (status: Int, bytes: [UInt8]).self)
        let client = api.client
        let transfer = Task {
            defer { continuation.finish() }
            return try await client.stream(request) { status, bytes in continuation.yield((status, bytes)) }
        }
        defer { transfer.cancel() }
        var resume = version
        var pending: [UInt8] = []
        var refusal: [UInt8] = []
        try await withTaskCancellationHandler {
            for await chunk in chunks {
                guard chunk.status == 200 else {
                    refusal += chunk.bytes
                    continue
                }
                pending += chunk.bytes
                while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = String(decoding: pending[..<newline], as: UTF8.self)
                    pending.removeSubrange(...newline)
                    try await event(line, &resume, deliver)
                }
            }
        } onCancel: {
            transfer.cancel()
        }
        let response = try await transfer.value
        if response.status == 410 { throw End.expired }
        guard response.status == 200 else {
            throw End.failed("the watch was answered \(response.status): \(String(decoding: refusal, as: UTF8.self))")
        }
        return resume
    }

    private func event(_ line: String, _ resume: inout String, _ deliver: @Sendable (CallbackEvent) async -> Void)
        async throws
    {
        guard !line.trimmingCharacters(in: .whitespaces).isEmpty else { return }
        guard let event = try? JSONValue(jsonText: line), let type = event["type"]?.stringValue,
            let object = event["object"]
        else { throw End.failed("a watch event that does not parse: \(line.prefix(200))") }
        switch type {
        case "ERROR":
            if object["code"]?.intValue == 410 { throw End.expired }
            throw End.failed(object["message"]?.stringValue ?? line)
        case "ADDED", "MODIFIED", "DELETED":
            await report(object, deleted: type == "DELETED", deliver)
        default:
            break  // BOOKMARK: only its version counts
        }
        if let version = object["metadata"]?["resourceVersion"]?.stringValue { resume = version }
    }

    /// What a Job says of its run. A Job deleted before it finished failed; the report applies
    /// only while that attempt is live, so the deletion of a superseded or finished run is ignored.
    private func report(_ job: JSONValue, deleted: Bool, _ deliver: @Sendable (CallbackEvent) async -> Void) async {
        guard let runID = KubernetesJob.runID(of: job), let name = job["metadata"]?["name"]?.stringValue else { return }
        let namespace = job["metadata"]?["namespace"]?.stringValue ?? settings.namespace
        var status = KubernetesJob.status(of: job, link: settings.link(namespace: namespace, name: name))
        if deleted, status.state != .success, status.state != .failed {
            status = KubernetesJob.deleted("\(namespace)/\(name)")
        }
        await deliver(.report(runID: runID, status: status, deliveryID: nil))
    }
}
