import FletcherCore
import FletcherHTTP
import FletcherPlatform
import FletcherSimulators
import Foundation
import HTTPTypes
import Hummingbird
import Synchronization

/// A DBXaaS platform (`docs/dispatch.md` §5, Databricks Jobs API 2.2 shape) for tests, benchmarks and
/// the demo. Notifications go to one webhook with Basic credentials and carry no state.
public final class DBXaaSSimulator: Simulator, Sendable {
    public let core: SimulatorCore
    private let webhook: Mutex<(url: String, credentials: BasicCredentials)?>
    private let client = HTTPClient()

    public init(settings: SimulatorSettings = SimulatorSettings(), token: String? = nil) {
        self.webhook = Mutex(nil)
        self.core = SimulatorCore(settings: settings, token: token)
    }

    /// Where notifications go (none until set).
    public func notify(_ url: String, credentials: BasicCredentials) {
        webhook.withLock { $0 = (url, credentials) }
    }

    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.post("/api/2.2/jobs/run-now") { request, _ in try await self.runNow(request) }
        router.get("/api/2.2/jobs/runs/get") { request, _ in
            try self.core.authorize(request)
            if let refusal = SimulatorHTTP.refusal(self.core.faults.next(for: .status)) { return refusal }
            guard let id = request.uri.queryParameters.get("run_id"), let job = self.core.book.job(id) else {
                return SimulatorHTTP.error(.badRequest, "INVALID_PARAMETER_VALUE", "Run does not exist")
            }
            return SimulatorHTTP.json(.ok, self.document(job, request))
        }
        router.post("/api/2.2/jobs/runs/cancel") { request, _ in
            try self.core.authorize(request)
            let fault = self.core.faults.next(for: .cancel)
            if let refusal = SimulatorHTTP.refusal(fault) { return refusal }
            guard let id = try await SimulatorHTTP.body(request)?["run_id"]?.intValue,
                self.core.book.job(String(id)) != nil
            else { return SimulatorHTTP.error(.badRequest, "INVALID_PARAMETER_VALUE", "Run does not exist") }
            if let cancelled = self.core.book.move(String(id), to: .cancelled) {
                Task { await self.notifyChange(cancelled) }
            }
            return await SimulatorHTTP.after(
                fault, stallSeconds: self.core.faults.current.stallSeconds, SimulatorHTTP.json(.ok, [:]))
        }
        return router
    }

    private func runNow(_ request: Request) async throws -> Response {
        try core.authorize(request)
        guard let body = try await SimulatorHTTP.body(request), let jobID = body["job_id"]?.intValue else {
            return SimulatorHTTP.error(.badRequest, "INVALID_PARAMETER_VALUE", "job_id is required")
        }
        // Without a token every call starts a run, as on the real platform.
        let key = body["idempotency_token"]?.stringValue ?? UUID().uuidString
        core.book.count(key: key)
        let fault = core.faults.next(for: .submit)
        if let refusal = SimulatorHTTP.refusal(fault) { return refusal }
        let (job, created) = core.book.submit(key: key, request: ["job_id": String(jobID)])
        if created { JobRunner(book: core.book, faults: core.faults).start(job) { await self.notifyChange($0) } }
        let answer = SimulatorHTTP.json(
            .ok, ["run_id": .int(Int64(job.id) ?? 0), "number_in_job": .int(Int64(job.id) ?? 0)])
        return await SimulatorHTTP.after(fault, stallSeconds: core.faults.current.stallSeconds, answer)
    }

    private func document(_ job: SimulatedJob, _ request: Request) -> JSONValue {
        var status: [String: JSONValue]
        switch job.phase {
        case .queued: status = ["state": "QUEUED"]
        case .running: status = ["state": "RUNNING"]
        case .succeeded:
            status = ["state": "TERMINATED", "termination_details": ["code": "SUCCESS", "type": "SUCCESS"]]
        case .failed:
            status = [
                "state": "TERMINATED",
                "termination_details": [
                    "code": "RUN_EXECUTION_ERROR", "type": "CLIENT_ERROR", "message": "simulated failure",
                ],
            ]
        case .cancelled:
            status = ["state": "TERMINATED", "termination_details": ["code": "CANCELED", "type": "SUCCESS"]]
        }
        return [
            "run_id": .int(Int64(job.id) ?? 0), "job_id": .int(Int64(job.request["job_id"] ?? "0") ?? 0),
            "run_page_url": .string("http://\(request.head.authority ?? "dbxaas.invalid")/#job/run/\(job.id)"),
            "status": .object(status), "end_time": .int(job.finishedAt ?? 0),
        ]
    }

    private func notifyChange(_ job: SimulatedJob) async {
        guard core.faults.current.callbacks, let (url, credentials) = webhook.withLock({ $0 }) else { return }
        let event =
            switch job.phase {
            case .running: "jobs.on_start"
            case .succeeded: "jobs.on_success"
            default: "jobs.on_failure"
            }
        let body: JSONValue = [
            "event_type": .string(event), "run": ["run_id": .int(Int64(job.id) ?? 0)],
            "job": ["job_id": .int(Int64(job.request["job_id"] ?? "0") ?? 0)],
        ]
        let request = HTTPClientRequest(
            method: "POST", url: url,
            headers: [("Content-Type", "application/json"), ("Authorization", credentials.header)],
            body: Array(body.jsonText.utf8), timeout: .seconds(10))
        for attempt in 1...3 {
            if let response = try? await client.execute(request), response.status < 500 { return }
            try? await Task.sleep(for: .milliseconds(200 * attempt))
        }
    }
}
