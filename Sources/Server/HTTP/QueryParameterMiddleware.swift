import Foundation
import HTTPTypes
import OpenAPIRuntime

/// Checks query parameters against the OpenAPI document before the generated code decodes them,
/// so a missing or malformed one is a 400 that names it (the generated decoder's errors do not).
struct QueryParameterMiddleware: ServerMiddleware {
    let routes: RouteTable

    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, metadata: ServerRequestMetadata, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        if let parameters = routes.queryParameters[operationID] {
            let items = URLComponents(string: request.path ?? "/")?.queryItems ?? []
            for parameter in parameters {
                let value = items.first { $0.name == parameter.name }.map { $0.value ?? "" }
                guard let value else {
                    if parameter.required {
                        throw APIError.badRequest("Missing required query parameter '\(parameter.name)'")
                    }
                    continue
                }
                if parameter.isInteger, Int(value) == nil {
                    throw APIError.badRequest("Invalid value for '\(parameter.name)': '\(value)' is not a whole number")
                }
                if let allowed = parameter.allowed, !allowed.contains(value) {
                    throw APIError.badRequest(
                        "Invalid value for '\(parameter.name)': '\(value)' is not one of \(allowed.joined(separator: ", "))"
                    )
                }
            }
        }
        return try await next(request, body, metadata)
    }
}
