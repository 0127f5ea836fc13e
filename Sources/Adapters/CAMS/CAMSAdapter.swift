import FletcherCore
import FletcherPlatform
import Foundation

/// C-AMS, the job-submission REST API whose contract Fletcher defines (`docs/dispatch.md` §4).
public struct CAMSAdapter: ComputeAdapter {
    public let compute = Compute.cams
    private let client: PlatformClient
    private let callbackURL: @Sendable () -> String
    private let signature: WebhookSignature?

    /// `callbackURL` is asked at each submit (a server on port 0 knows its address only once
    /// running). `callbackSecret` nil (or not a `whsec_` secret): every callback is refused.
    public init(client: PlatformClient, callbackURL: @escaping @Sendable () -> String, callbackSecret: String?) {
        self.client = client
        self.callbackURL = callbackURL
        self.signature = callbackSecret.flatMap(WebhookSignature.init(secret:))
    }

    public func submit(_ attempt: Attempt) async throws(AdapterError) -> Submission {
        let body: JSONValue = [
            "run_id": .string(attempt.runID.lowercasedString),
            "dataset_id": .string(attempt.datasetID.lowercasedString),
            "data_product_id": .string(attempt.dataProductID.lowercasedString), "name": .string(attempt.name),
            "version": .string(attempt.version), "passthrough": attempt.passthrough ?? .null,
            "callback_url": .string(callbackURL()),
        ]
        let answer = try await client.call(
            "POST", "/jobs", body: body, headers: [("Idempotency-Key", attempt.runID.lowercasedString)])
        guard let jobID = answer["job_id"]?.stringValue, !jobID.isEmpty else {
            throw AdapterError(.permanent, "C-AMS accepted the job but its answer has no job_id: \(answer.jsonText)")
        }
        // An unknown status word leaves the state to the first poll.
        let state = answer["status"]?.stringValue.flatMap(CAMSStatus.state(of:))
        return Submission(externalID: jobID, link: runPageLink(answer["link"]), state: state)
    }

    public func status(_ run: RunRef) async throws(AdapterError) -> RunStatus {
        let answer = try await client.call("GET", "/jobs/\(pathSegment(run.externalID))")
        return try CAMSStatus.runStatus(of: answer)
    }

    public func cancel(_ run: RunRef) async throws(AdapterError) {
        _ = try await client.call("POST", "/jobs/\(pathSegment(run.externalID))/cancel")
    }

    public func verifyCallback(headers: [String: String], body: [UInt8], now: Timestamp) throws(CallbackRejection)
        -> CallbackEvent
    {
        guard let signature else {
            throw .unauthorized("C-AMS callbacks are not accepted: CAMS_CALLBACK_SECRET is not set")
        }
        let deliveryID = headers["webhook-id"]
        do {
            try signature.verify(
                id: deliveryID, timestamp: headers["webhook-timestamp"], signatures: headers["webhook-signature"],
                body: body, now: now.microsecondsSinceEpoch / 1_000_000)
        } catch {
            throw .unauthorized(error.description)
        }
        guard let event = try? JSONValue(jsonText: String(decoding: body, as: UTF8.self)), case .object = event else {
            throw .malformed("the callback body is not a JSON object")
        }
        guard let runText = event["run_id"]?.stringValue, let runID = UUID(text: runText) else {
            throw .malformed("'run_id' must be the UUID Fletcher sent with the job")
        }
        do {
            return .report(runID: runID, status: try CAMSStatus.runStatus(of: event), deliveryID: deliveryID)
        } catch {
            throw .malformed(error.message)
        }
    }
}
