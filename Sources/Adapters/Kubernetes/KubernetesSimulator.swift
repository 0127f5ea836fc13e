import FletcherCore
import FletcherPlatform
import FletcherSimulators
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization

/// The subset of the Kubernetes API Fletcher uses, for tests, benchmarks and the demo: create
/// (a second create of a name is 409 `AlreadyExists`), get, delete and list Jobs, and watch them
/// from a resourceVersion; errors as `Status` objects; faults scripted or by ratio. Jobs run
/// through their phases in real time; every change is a watch event. Creates are counted per
/// Job name, which is the attempt's run id: more than one Job per attempt would show.
public final class KubernetesSimulator: Simulator, Sendable {
    public let core: SimulatorCore
    private let token: Mutex<String?>
    private let state = Mutex(WatchState())

    private struct WatchState {
        var version = 1
        /// Events still resumable, oldest first.
        var history: [(version: Int, line: String)] = []
        /// A resume from before this version is answered 410 Gone.
        var oldestResumable = 1
        var watchers: [UUID: AsyncStream<String>.Continuation] = [:]
        var deleted: Set<String> = []
        var lists = 0
        var watches = 0
    }

    /// `token`: the bearer token every request must carry (none: any request is accepted).
    public init(settings: SimulatorSettings = SimulatorSettings(), token: String? = nil) {
        self.core = SimulatorCore(settings: settings, token: nil)
        self.token = Mutex(token)
    }

    // MARK: Test hooks

    /// From now on requests must carry `token` (a rotated service-account token).
    public func rotateToken(to token: String) { self.token.withLock { $0 = token } }

    /// List and watch requests received: a client that lost its watch lists again.
    public var requests: (lists: Int, watches: Int) { state.withLock { ($0.lists, $0.watches) } }

    /// Creates received for the Job `name`, refused ones included.
    public func creates(of name: String) -> Int { core.book.submits(forKey: name) }

    /// Ends every open watch, as a dropped connection or an API server restart would.
    public func dropWatches() {
        let watchers = state.withLock { state in
            defer { state.watchers.removeAll() }
            return Array(state.watchers.values)
        }
        for watcher in watchers { watcher.finish() }
    }

    /// Ends every open watch and forgets the event history, as an API server restarted after a
    /// compaction would: resuming from any version handed out so far is 410 Gone.
    public func expireHistory() {
        state.withLock { state in
            state.history.removeAll()
            state.oldestResumable = state.version + 2
        }
        dropWatches()
    }

    /// Deletes a Job as someone outside Fletcher would.
    public func deleteOutside(_ name: String) {
        guard let job = existing(name) else { return }
        delete(job)
    }

    // MARK: API

    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        let jobs = "/apis/batch/v1/namespaces/:namespace/jobs"
        router.post(RouterPath(jobs)) { request, context in try await self.create(request, context) }
        router.get(RouterPath(jobs)) { request, context in try await self.listOrWatch(request, context) }
        router.get(RouterPath(jobs + "/:name")) { request, context in
            if let refusal = self.refusal(request, self.core.faults.next(for: .status)) { return refusal }
            guard let job = self.existing(try context.parameters.require("name")) else {
                return Self.status(
                    .notFound, "NotFound", "jobs.batch \"\(context.parameters.get("name") ?? "")\" not found")
            }
            return SimulatorHTTP.json(.ok, self.document(job))
        }
        router.delete(RouterPath(jobs + "/:name")) { request, context in
            let fault = self.core.faults.next(for: .cancel)
            if let refusal = self.refusal(request, fault) { return refusal }
            let name = try context.parameters.require("name")
            guard let job = self.existing(name) else {
                return Self.status(.notFound, "NotFound", "jobs.batch \"\(name)\" not found")
            }
            self.delete(job)
            return await SimulatorHTTP.after(
                fault, stallSeconds: self.core.faults.current.stallSeconds,
                SimulatorHTTP.json(.ok, ["kind": "Status", "apiVersion": "v1", "status": "Success"]))
        }
        return router
    }

    private func create(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        guard authorized(request) else { return Self.status(.unauthorized, "Unauthorized", "Unauthorized") }
        let namespace = try context.parameters.require("namespace")
        guard let manifest = try await SimulatorHTTP.body(request),
            let name = manifest["metadata"]?["name"]?.stringValue
        else { return Self.status(.badRequest, "BadRequest", "the body must be a Job with metadata.name") }
        core.book.count(key: name)
        let fault = core.faults.next(for: .submit)
        if let refusal = SimulatorHTTP.refusal(fault) { return refusal }
        let containers: [JSONValue] =
            if case .array(let items) = manifest["spec"]?["template"]?["spec"]?["containers"] { items } else { [] }
        for (index, container) in containers.enumerated() {
            let image = container["image"]?.stringValue ?? ""
            if image.isEmpty || image.trimmingCharacters(in: .whitespaces) != image {
                return Self.status(
                    .init(code: 422), "Invalid",
                    "Job.batch \"\(name)\" is invalid: spec.template.spec.containers[\(index)].image: Invalid value: "
                        + "\"\(image)\": must be a non-empty image name without leading or trailing whitespace")
            }
        }
        let (job, created) = core.book.submit(
            key: name, request: ["namespace": namespace, "name": name, "manifest": manifest.jsonText])
        guard created, !state.withLock({ $0.deleted.contains(name) }) else {
            return Self.status(.conflict, "AlreadyExists", "jobs.batch \"\(name)\" already exists")
        }
        emit("ADDED", job)
        JobRunner(book: core.book, faults: core.faults).start(job) { self.emit("MODIFIED", $0) }
        return await SimulatorHTTP.after(
            fault, stallSeconds: core.faults.current.stallSeconds, SimulatorHTTP.json(.created, document(job)))
    }

    private func listOrWatch(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        guard authorized(request) else { return Self.status(.unauthorized, "Unauthorized", "Unauthorized") }
        let query = request.uri.queryParameters
        guard query.get("watch") == "1" || query.get("watch") == "true" else {
            let items = state.withLock { state -> (version: Int, jobs: [JSONValue]) in
                state.lists += 1
                // A list's version is always one a watch can start from.
                state.oldestResumable = min(state.oldestResumable, state.version + 1)
                return (
                    state.version,
                    jobs.filter { !state.deleted.contains($0.idempotencyKey) }.map {
                        document($0, version: state.version)
                    }
                )
            }
            return SimulatorHTTP.json(
                .ok,
                [
                    "kind": "JobList", "apiVersion": "batch/v1",
                    "metadata": ["resourceVersion": .string(String(items.version))], "items": .array(items.jobs),
                ])
        }
        let from = Int(query.get("resourceVersion") ?? "") ?? 0
        let seconds = Double(query.get("timeoutSeconds") ?? "") ?? 300
        let (lines, continuation) = AsyncStream.makeStream(of: String.self)
        let id = UUID()
        state.withLock { state in
            state.watches += 1
            guard from + 1 >= state.oldestResumable else {
                continuation.yield(
                    #"{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","status":"Failure","message":"too old resource version: \#(from)","reason":"Expired","code":410}}"#
                )
                continuation.finish()
                return
            }
            for event in state.history where event.version > from { continuation.yield(event.line) }
            state.watchers[id] = continuation
        }
        let heartbeat = Task { [weak self] in
            // A bookmark a second: a watcher that went away fails the write and ends the stream.
            let deadline = ContinuousClock.now + .seconds(seconds)
            while ContinuousClock.now < deadline, (try? await Task.sleep(for: .seconds(1))) != nil {
                guard let self else { return }
                let version = state.withLock { $0.version }
                continuation.yield(
                    #"{"type":"BOOKMARK","object":{"kind":"Job","apiVersion":"batch/v1","metadata":{"resourceVersion":"\#(version)"}}}"#
                )
            }
            continuation.finish()
        }
        continuation.onTermination = { [weak self] _ in
            heartbeat.cancel()
            self?.state.withLock { _ = $0.watchers.removeValue(forKey: id) }
        }
        return Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: ResponseBody { writer in
                for await line in lines { try await writer.write(ByteBuffer(string: line + "\n")) }
                try await writer.finish(nil)
            })
    }

    // MARK: Jobs

    /// The Job `name` (Jobs are booked under their name), unless it was deleted.
    private func existing(_ name: String) -> SimulatedJob? {
        guard !state.withLock({ $0.deleted.contains(name) }) else { return nil }
        return jobs.first { $0.idempotencyKey == name }
    }

    private func delete(_ job: SimulatedJob) {
        let first = state.withLock { $0.deleted.insert(job.idempotencyKey).inserted }
        guard first else { return }
        // The event shows the Job as it was when it went; the run stops there.
        emit("DELETED", core.book.job(job.id) ?? job)
        _ = core.book.move(job.id, to: .cancelled)
    }

    /// Records a change as the next version and sends it to every watcher (when callbacks are on),
    /// under the lock, so each watcher sees every event once and in version order.
    private func emit(_ type: String, _ job: SimulatedJob) {
        let callbacks = core.faults.current.callbacks
        state.withLock { state in
            state.version += 1
            let line = JSONValue.object(["type": .string(type), "object": document(job, version: state.version)])
                .jsonText
            state.history.append((state.version, line))
            if callbacks { for watcher in state.watchers.values { watcher.yield(line) } }
        }
    }

    private func document(_ job: SimulatedJob, version: Int? = nil) -> JSONValue {
        guard case .object(var manifest) = (try? JSONValue(jsonText: job.request["manifest"] ?? "{}")) ?? [:] else {
            return [:]
        }
        if case .object(var metadata) = manifest["metadata"] {
            metadata["namespace"] = .string(job.request["namespace"] ?? "default")
            metadata["resourceVersion"] = .string(String(version ?? state.withLock { $0.version }))
            manifest["metadata"] = .object(metadata)
        }
        var status: JSONValue =
            switch job.phase {
            case .queued: [:]
            case .running: ["active": 1, "ready": 1]
            case .succeeded: ["succeeded": 1, "conditions": [["type": "Complete", "status": "True"]]]
            case .failed, .cancelled:
                [
                    "failed": 1,
                    "conditions": [
                        [
                            "type": "Failed", "status": "True", "reason": "BackoffLimitExceeded",
                            "message": "Job has reached the specified backoff limit",
                        ]
                    ],
                ]
            }
        if let finished = job.finishedAt, case .object(var fields) = status {
            fields["completionTime"] = .string(Timestamp(microsecondsSinceEpoch: finished * 1000).description)
            status = .object(fields)
        }
        manifest["status"] = status
        return .object(manifest)
    }

    // MARK: HTTP

    private func authorized(_ request: Request) -> Bool {
        guard let token = token.withLock({ $0 }) else { return true }
        return request.headers[.authorization] == "Bearer \(token)"
    }

    private func refusal(_ request: Request, _ fault: SimulatorFault?) -> Response? {
        guard authorized(request) else { return Self.status(.unauthorized, "Unauthorized", "Unauthorized") }
        return SimulatorHTTP.refusal(fault)
    }

    static func status(_ status: HTTPResponse.Status, _ reason: String, _ message: String) -> Response {
        SimulatorHTTP.json(
            status,
            [
                "kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Failure", "message": .string(message),
                "reason": .string(reason), "code": .int(Int64(status.code)),
            ])
    }
}
