import HTTPTypes
import Hummingbird

/// Gathers a small answer of known length into one buffer before it is written. The OpenAPI
/// transport hands every answer over as a stream, and the connection writes a streamed answer's
/// head and body apart: two `write`s, two TCP segments and two wake-ups of the client per
/// request. An answer held in one buffer goes out with its head in one.
struct WholeBodyMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Larger answers (a big plan, written in pieces as they are produced) stay streamed.
    static var limit: Int { 64 * 1024 }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        var response = try await next(request, context)
        guard let length = response.body.contentLength, length > 0, length <= Self.limit else { return response }
        let gathered = Gathered()
        // An answer of known length has no trailers in HTTP/1.1, so the writer's `finish` carries none.
        try await response.body.write(GatheringWriter(into: gathered))
        response.body = ResponseBody(byteBuffer: gathered.buffer ?? ByteBuffer())
        return response
    }
}

private final class Gathered {
    var buffer: ByteBuffer?
}

private struct GatheringWriter: ResponseBodyWriter {
    let into: Gathered

    mutating func write(_ buffer: ByteBuffer) async throws {
        guard into.buffer != nil else { return into.buffer = buffer }
        var buffer = buffer
        into.buffer!.writeBuffer(&buffer)
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
