import FletcherCore
import FletcherHTTP
import FletcherPlatform
import FletcherSimulators
import Foundation
import HTTPTypes
import Hummingbird

/// A C-AMS platform (`docs/dispatch.md` §4) for tests, benchmarks and the demo: jobs run through their
/// phases in real time and are reported to the submit's `callback_url`, signed.
public final class CAMSSimulator: Simulator, Sendable {
    public let core: SimulatorCore
    private let signature: WebhookSignature?
    private let client = HTTPClient()

    /// `callbackSecret`: the `whsec_` secret callbacks are signed with (none: no callbacks).
    public init(settings: SimulatorSettings = SimulatorSettings(), token: String? = nil, callbackSecret: String? = nil)
    {
        self.signature = callbackSecret.flatMap(WebhookSignature.init(secret:))
        self.core = SimulatorCore(settings: settings, token: token)
    }

    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.post("/jobs") { request, _ in try await self.submit(request) }
        router.get("/jobs/:id") { request, context in
            try self.core.authorize(request)
            if let refusal = SimulatorHTTP.refusal(self.core.faults.next(for: .status)) { return refusal }
            guard let job = self.core.book.job(try context.parameters.require("id")) else {
                return SimulatorHTTP.error(.notFound, "NOT_FOUND", "no such job")
            }
            return SimulatorHTTP.json(.ok, self.document(job, request))
        }
        router.post("/jobs/:id/cancel") { request, context in
            try self.core.authorize(request)
            let fault = self.core.faults.next(for: .cancel)
            if let refusal = SimulatorHTTP.refusal(fault) { return refusal }
            let id = try context.parameters.require("id")
            guard self.core.book.job(id) != nil else {
                return SimulatorHTTP.error(.notFound, "NOT_FOUND", "no such job")
            }
            if let cancelled = self.core.book.move(id, to: .cancelled) {
                let link = self.link(cancelled, request)
                Task { await self.callback(cancelled, link: link) }
            }
            return await SimulatorHTTP.after(
                fault, stallSeconds: self.core.faults.current.stallSeconds, SimulatorHTTP.json(.accepted, [:]))
        }
        return router
    }

    private func submit(_ request: Request) async throws -> Response {
        try core.authorize(request)
        guard let key = SimulatorHTTP.header(request, "Idempotency-Key"), !key.isEmpty else {
            return SimulatorHTTP.error(.badRequest, "MISSING_KEY", "Idempotency-Key is required")
        }
        core.book.count(key: key)
        let fault = core.faults.next(for: .submit)
        if let refusal = SimulatorHTTP.refusal(fault) { return refusal }
        guard let body = try await SimulatorHTTP.body(request), case .object(let fields) = body,
            let runID = fields["run_id"]?.stringValue
        else { return SimulatorHTTP.error(.badRequest, "BAD_BODY", "the body must be a job object with run_id") }
        let (job, created) = core.book.submit(
            key: key,
            request: fields.compactMapValues { $0.stringValue }.merging(["run_id": runID]) { _, new in new })
        if created {
            let link = link(job, request)
            JobRunner(book: core.book, faults: core.faults).start(job) { await self.callback($0, link: link) }
        }
        let answer = SimulatorHTTP.json(
            .created,
            ["job_id": .string(job.id), "status": .string(job.phase.camsWord), "link": .string(link(job, request))])
        return await SimulatorHTTP.after(fault, stallSeconds: core.faults.current.stallSeconds, answer)
    }

    private func document(_ job: SimulatedJob, _ request: Request) -> JSONValue {
        document(job, link: link(job, request))
    }

    private func document(_ job: SimulatedJob, link: String) -> JSONValue {
        var fields: [String: JSONValue] = [
            "job_id": .string(job.id), "status": .string(job.phase.camsWord), "link": .string(link),
        ]
        if job.phase == .succeeded { fields["output"] = ["job_id": .string(job.id), "rows": 42] }
        if let finished = job.finishedAt { fields["finished_at"] = .int(finished) }
        if job.phase == .failed { fields["error"] = "simulated failure" }
        if job.phase == .cancelled { fields["error"] = "cancelled on request" }
        return .object(fields)
    }

    private func link(_ job: SimulatedJob, _ request: Request) -> String {
        "http://\(request.head.authority ?? "cams.invalid")/jobs/\(job.id)"
    }

    /// Reports a phase change to the job's callback URL, signed; retried a few times like a real
    /// webhook sender.
    private func callback(_ job: SimulatedJob, link: String) async {
        guard core.faults.current.callbacks, let signature, let url = job.request["callback_url"],
            let runID = job.request["run_id"]
        else { return }
        guard case .object(var fields) = document(job, link: link) else { return }
        fields["run_id"] = .string(runID)
        let body = Array(JSONValue.object(fields).jsonText.utf8)
        let id = "msg_" + UUID().uuidString.lowercased()
        for attempt in 1...3 {
            let timestamp = Int64(Date().timeIntervalSince1970)
            let request = HTTPClientRequest(
                method: "POST", url: url,
                headers: [
                    ("Content-Type", "application/json"), ("webhook-id", id), ("webhook-timestamp", String(timestamp)),
                    ("webhook-signature", signature.sign(id: id, timestamp: timestamp, body: body)),
                ], body: body, timeout: .seconds(10))
            if let response = try? await client.execute(request), response.status < 500 { return }
            try? await Task.sleep(for: .milliseconds(200 * attempt))
        }
    }
}

extension SimulatedPhase {
    var camsWord: String {
        switch self {
        case .queued: "queued"
        case .running: "running"
        case .succeeded: "succeeded"
        case .failed: "failed"
        case .cancelled: "cancelled"
        }
    }
}
