import FletcherCore
import HTTPTypes
import OpenAPIRuntime

/// Decodes the body of `POST /api/plan` with Fletcher's own JSON reader (`JSONInput`) instead of
/// the OpenAPI runtime's `JSONDecoder`, which was a third of the server's time on a big plan's post
/// (`docs/decisions.md`, JSON input). The answer to a malformed or invalid body is the same 400.
///
/// The generated handler must decode its body itself: this middleware decodes the plan, hands it
/// on in a task local and passes an empty object for the runtime to decode; `PlanBody` picks the
/// plan up. Without the middleware `PlanBody` decodes the body it is given: slower, never wrong.
struct PlanBodyMiddleware: ServerMiddleware {
    @TaskLocal static var decoded: PlanParam?
    /// The one operation whose body it reads.
    static let operationID = "postPlan"

    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, metadata: ServerRequestMetadata, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        // `RequestBodyMiddleware` has checked the body's presence, media type and size.
        guard operationID == Self.operationID, let body else { return try await next(request, body, metadata) }
        let param = try JSONInput.decode(PlanParam.self, from: try await [UInt8](collecting: body, upTo: .max))
        return try await Self.$decoded.withValue(param) { try await next(request, HTTPBody("{}"), metadata) }
    }
}

/// The body of `POST /api/plan` as the generated code sees it (a type override of `PlanParam`).
struct PlanBody: Codable, Hashable, Sendable {
    let param: PlanParam

    init(from decoder: any Decoder) throws {
        if let decoded = PlanBodyMiddleware.decoded {
            param = decoded
        } else {
            param = try PlanParam(from: decoder)
        }
    }

    func encode(to encoder: any Encoder) throws {
        try param.encode(to: encoder)
    }
}
