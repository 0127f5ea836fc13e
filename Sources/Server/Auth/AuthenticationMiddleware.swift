import HTTPTypes
import OpenAPIRuntime

/// Authenticates every API operation that needs a role, before its body is even read: a missing
/// or bad token is 401, a valid one without the role is 403. The acting service is then available
/// to the handler as `Caller.current`. Public operations pass untouched; an operation without a
/// rule is refused (`AccessRules`).
struct AuthenticationMiddleware: ServerMiddleware {
    let authenticator: Authenticator
    let rules: AccessRules

    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, metadata: ServerRequestMetadata, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        guard case .role(let role) = try rules.access(operationID) else {
            return try await next(request, body, metadata)
        }
        let identity = await authenticator.identify(authorization: request.headerFields[.authorization])
        let service = try authenticator.authorize(identity, for: role)
        return try await Caller.$current.withValue(.service(service)) {
            try await next(request, body, metadata)
        }
    }
}
