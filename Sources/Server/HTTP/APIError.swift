import FletcherCore
import Foundation
import HTTPTypes

/// A refusal from the HTTP layer (auth, body limits, parameters), rendered as problem+json.
/// Refusals of the rules themselves are `CommandError`s from the core.
struct APIError: Error, Sendable {
    var status: HTTPResponse.Status
    var detail: String
    var headers: HTTPFields = [:]

    static func badRequest(_ detail: String) -> APIError { APIError(status: .badRequest, detail: detail) }

    static func unauthorized(_ detail: String) -> APIError {
        APIError(status: .unauthorized, detail: detail, headers: [.wwwAuthenticate: "Bearer"])
    }

    static func forbidden(_ detail: String) -> APIError { APIError(status: .forbidden, detail: detail) }

    /// A body not sent as JSON; raised before decoding and restated for the runtime's own refusal.
    static let unsupportedMediaType = APIError(
        status: .unsupportedMediaType, detail: "The request body must be sent as 'Content-Type: application/json'")

    static func unavailable(_ detail: String) -> APIError {
        APIError(status: .serviceUnavailable, detail: detail, headers: [.retryAfter: "5"])
    }

    /// Parses a UUID from a path or query parameter, naming it when it is malformed.
    static func uuid(_ text: String, field: String) throws(APIError) -> UUID {
        guard let id = UUID(text: text) else {
            throw .badRequest("Invalid value for '\(field)': '\(text)' is not a UUID")
        }
        return id
    }
}

extension CommandError {
    var httpStatus: HTTPResponse.Status {
        switch kind {
        case .badRequest: .badRequest
        case .forbidden: .forbidden
        case .notFound: .notFound
        case .conflict: .conflict
        case .unprocessable: .unprocessableContent
        }
    }
}
