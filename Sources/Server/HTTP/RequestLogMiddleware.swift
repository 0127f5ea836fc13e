import FletcherCore
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// One log line per request: method, path, status, duration, request id.
struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        let elapsed = ContinuousClock.now - start
        let milliseconds = elapsed.inSeconds * 1000
        context.logger.info(
            "\(request.method.rawValue) \(request.uri.path) \(response.status.code)",
            metadata: [
                "status": "\(response.status.code)", "duration_ms": "\(String(format: "%.2f", milliseconds))",
            ])
        return response
    }
}
