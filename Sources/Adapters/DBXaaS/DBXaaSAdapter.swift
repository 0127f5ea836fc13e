import FletcherCore
import FletcherPlatform
import Foundation

/// DBXaaS, shaped on the Databricks Jobs API 2.2 (`docs/dispatch.md` §5). Its notification webhooks
/// carry no state: a callback only makes Fletcher poll the run at once.
public struct DBXaaSAdapter: ComputeAdapter {
    public let compute = Compute.dbxaas
    private let client: PlatformClient
    private let webhook: BasicCredentials?

    /// `webhook` nil: every callback is refused.
    public init(client: PlatformClient, webhook: BasicCredentials?) {
        self.client = client
        self.webhook = webhook
    }

    /// The Jobs API retries: 429 and the gateway statuses; other 4xx and 501 are final.
    public static func isRetryable(_ status: Int) -> Bool {
        [429, 500, 502, 503, 504].contains(status)
    }

    public func submit(_ attempt: Attempt) async throws(AdapterError) -> Submission {
        var body: [String: JSONValue] = [
            "job_id": .int(try Self.jobID(attempt.passthrough)),
            "idempotency_token": .string("fletcher-\(attempt.runID.lowercasedString)"),
        ]
        if let parameters = try Self.jobParameters(attempt.passthrough) { body["job_parameters"] = parameters }
        let answer = try await client.call("POST", "/api/2.2/jobs/run-now", body: .object(body))
        guard let runID = answer["run_id"]?.intValue else {
            throw AdapterError(
                .permanent, "DBXaaS started the job but its answer has no integer run_id: \(answer.jsonText)")
        }
        return Submission(externalID: String(runID))
    }

    public func status(_ run: RunRef) async throws(AdapterError) -> RunStatus {
        let answer = try await client.call("GET", "/api/2.2/jobs/runs/get?run_id=\(try Self.platformRunID(run))")
        return try DBXaaSStatus.runStatus(of: answer)
    }

    public func cancel(_ run: RunRef) async throws(AdapterError) {
        _ = try await client.call(
            "POST", "/api/2.2/jobs/runs/cancel", body: ["run_id": .int(try Self.platformRunID(run))])
    }

    public func verifyCallback(headers: [String: String], body: [UInt8], now: Timestamp) throws(CallbackRejection)
        -> CallbackEvent
    {
        guard let webhook else {
            throw .unauthorized("DBXaaS callbacks are not accepted: DBXAAS_WEBHOOK_USER/PASSWORD are not set")
        }
        guard webhook.accepts(headers["authorization"]) else {
            throw .unauthorized("wrong or missing Basic credentials")
        }
        guard let event = try? JSONValue(jsonText: String(decoding: body, as: UTF8.self)), case .object = event else {
            throw .malformed("the notification body is not a JSON object")
        }
        guard let runID = event["run"]?["run_id"]?.intValue else {
            throw .malformed("the notification has no integer 'run.run_id'")
        }
        return .poll(externalID: String(runID))
    }

    static func jobID(_ passthrough: JSONValue?) throws(AdapterError) -> Int64 {
        guard let id = passthrough?["job_id"]?.intValue else {
            throw AdapterError(.permanent, "a DBXaaS product needs an integer passthrough.job_id")
        }
        return id
    }

    static func jobParameters(_ passthrough: JSONValue?) throws(AdapterError) -> JSONValue? {
        guard let parameters = passthrough?["job_parameters"], parameters != .null else { return nil }
        guard case .object(let members) = parameters, members.values.allSatisfy({ $0.stringValue != nil }) else {
            throw AdapterError(.permanent, "passthrough.job_parameters must be an object of strings")
        }
        return parameters
    }

    private static func platformRunID(_ run: RunRef) throws(AdapterError) -> Int64 {
        guard let id = Int64(run.externalID) else {
            throw AdapterError(.permanent, "'\(run.externalID)' is not a DBXaaS run id")
        }
        return id
    }
}
