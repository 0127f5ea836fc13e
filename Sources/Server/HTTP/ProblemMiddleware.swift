import FletcherCore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import OpenAPIRuntime

/// Turns every error below it into the response the spec promises (`docs/api.md` §1): problem+json
/// under `/api` with the exact `detail`, 405 for a known path with the wrong method, and for a
/// 5xx only a request id — the internals go to the log, never to the client.
struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    let routes: RouteTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        do {
            return try await next(request, context)
        } catch {
            return response(for: Self.unwrap(error), request: request, context: context)
        }
    }

    /// A browser asking for a page (outside `/api`): it gets HTML, not problem+json.
    static func isPage(_ request: Request) -> Bool {
        !request.uri.path.hasPrefix("/api/") && request.headers[.accept]?.contains("text/html") == true
    }

    /// OpenAPI handlers and middlewares wrap what they throw; the cause is what matters.
    static func unwrap(_ error: any Error) -> any Error {
        if let error = error as? ServerError { return unwrap(error.underlyingError) }
        return error
    }

    private func response(for error: any Error, request: Request, context: Context) -> Response {
        switch error {
        case let error as CommandError where error.kind == .notFound && Self.isPage(request):
            return NotFoundPage.response(path: request.uri.path)
        case let error as CommandError:
            return Problem(status: error.httpStatus, detail: error.message).response()
        case let error as APIError:
            return Problem(status: error.status, detail: error.detail).response(headers: error.headers)
        case let error as StoreUnavailable:
            context.logger.warning("database unavailable", metadata: ["reason": "\(error.reason)"])
            return Problem(
                status: .serviceUnavailable,
                detail: "The database is unavailable; nothing was changed. Try again shortly."
            )
            .response(headers: [.retryAfter: "5"])
        case let error as DecodingError:
            return Problem(status: .badRequest, detail: JSONInput.describe(error)).response()
        case let error as HTTPError where error.status == .notFound:
            return notFound(request)
        case let error as any HTTPResponseError where error.status.code < 500:
            return Problem(status: error.status, detail: error.status.reasonPhrase).response()
        case let error as any HTTPResponseConvertible where error.httpStatus.code < 500:
            // The OpenAPI runtime's own request errors (its error type is internal; its status and
            // description are public). A missing body is refused earlier, by `RequestBodyMiddleware`.
            let detail =
                error.httpStatus == .unsupportedMediaType
                ? APIError.unsupportedMediaType.detail : String(describing: error)
            return Problem(status: error.httpStatus, detail: detail).response()
        default:
            context.logger.error(
                "request failed", metadata: ["error": "\(String(reflecting: error))", "path": "\(request.uri.path)"])
            return Problem(
                status: .internalServerError,
                detail: "Internal error: quote request id \(context.id) when reporting it", requestID: context.id
            ).response()
        }
    }

    /// 405 with `Allow` when the path exists under another method; otherwise 404.
    private func notFound(_ request: Request) -> Response {
        let path = request.uri.path
        let allowed = routes.methods(for: path)
        if !allowed.isEmpty {
            let allow = allowed.joined(separator: ", ")
            return Problem(
                status: .methodNotAllowed, detail: "\(request.method.rawValue) is not allowed on \(path); use \(allow)"
            ).response(headers: [.allow: allow])
        }
        if Self.isPage(request) { return NotFoundPage.response(path: path) }
        return Problem(status: .notFound, detail: "No such resource: \(request.method.rawValue) \(path)").response()
    }

}

/// RFC 9457 problem details.
struct Problem: Encodable {
    var type = "about:blank"
    var title: String
    var status: Int
    var detail: String
    var requestID: String?

    init(status: HTTPResponse.Status, detail: String, requestID: String? = nil) {
        self.title = status.reasonPhrase.isEmpty ? "HTTP \(status.code)" : status.reasonPhrase
        self.status = status.code
        self.detail = detail
        self.requestID = requestID
    }

    enum CodingKeys: String, CodingKey {
        case type, title, status, detail
        case requestID = "request_id"
    }

    func response(headers extra: HTTPFields = [:]) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = (try? encoder.encode(self)) ?? Data()
        var headers: HTTPFields = [.contentType: "application/problem+json"]
        headers.append(contentsOf: extra)
        return Response(
            status: HTTPResponse.Status(code: status), headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }
}
