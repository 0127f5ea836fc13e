import FletcherCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// `POST /api/callback/{compute}`: platform callbacks, authenticated by the platform's own scheme
/// (a Standard Webhooks signature, Basic credentials), not by Fletcher's tokens. Answered fast:
/// the work is one guarded update or the scheduling of a poll.
enum CallbackRoute {
    static func add(to router: Router<BasicRequestContext>, intake: CallbackIntake, maxBodyBytes: Int) {
        router.post("/api/callback/:compute") { request, context in
            let name = try context.parameters.require("compute")
            guard let compute = Compute(rawValue: name), intake.accepts(compute) else {
                throw APIError(status: .notFound, detail: "Fletcher does not dispatch to a compute platform '\(name)'")
            }
            let body = try await request.body.collect(upTo: maxBodyBytes)
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            let outcome: CallbackIntake.Outcome
            do {
                outcome = try await intake.receive(compute, headers: headers, body: Array(buffer: body))
            } catch CallbackRejection.unauthorized(let reason) {
                throw APIError(status: .unauthorized, detail: "Callback refused: \(reason)")
            } catch CallbackRejection.malformed(let reason) {
                throw APIError.badRequest("Callback not understood: \(reason)")
            }
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: #"{"outcome":"\#(outcome.rawValue)"}"#)))
        }
    }
}
