import FletcherCore
import Foundation
import HTTPTypes
import OpenAPIRuntime

/// Guards every API request body before the generated code decodes it, and after the caller is
/// authenticated: present where the document requires one (400), JSON only (415), at most
/// `MAX_BODY_BYTES` (413), nested at most 64 levels (400).
struct RequestBodyMiddleware: ServerMiddleware {
    let limit: Int
    let routes: RouteTable
    /// Operations whose body Fletcher's own parser reads, which refuses deep nesting with the
    /// same answer: scanning first would read a big plan's body once more (21 ms for 12 MB).
    let parsedWithNestingLimit: Set<String>

    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, metadata: ServerRequestMetadata, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        guard let body, Self.hasBody(request) else {
            if routes.requiredBodies.contains(operationID) {
                throw APIError.badRequest("A JSON request body is required")
            }
            return try await next(request, nil, metadata)
        }
        guard Self.isJSON(request.headerFields[.contentType]) else { throw APIError.unsupportedMediaType }
        let tooLarge = APIError(
            status: .contentTooLarge, detail: "The request body is larger than the limit of \(limit) bytes")
        if let length = request.headerFields[.contentLength].flatMap(Int.init), length > limit { throw tooLarge }
        let bytes: [UInt8]
        do {
            bytes = try await [UInt8](collecting: body, upTo: limit)
        } catch {
            throw tooLarge
        }
        if !parsedWithNestingLimit.contains(operationID), JSONNesting.exceeds(JSONNesting.limit, in: bytes) {
            throw APIError.badRequest(JSONNesting.tooDeep)
        }
        return try await next(request, HTTPBody(bytes), metadata)
    }

    private static func hasBody(_ request: HTTPRequest) -> Bool {
        if let length = request.headerFields[.contentLength] { return length != "0" }
        return request.headerFields[.transferEncoding] != nil
    }

    /// `application/json`, with or without parameters such as `charset=utf-8`.
    static func isJSON(_ contentType: String?) -> Bool {
        guard let contentType else { return false }
        let mediaType = contentType.split(separator: ";").first?.trimmingBlanks.lowercased()
        return mediaType == "application/json"
    }
}
